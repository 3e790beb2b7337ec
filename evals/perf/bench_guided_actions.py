"""Guided-action evaluation time: one rep owning N records, then every user of the account.

    python -m evals.perf.bench_guided_actions --database-url URL --records 10000
    python -m evals.perf.bench_guided_actions --database-url URL --records 10000 --scope team
    python -m evals.perf.bench_guided_actions --database-url sqlite:////tmp/scale.db --account scale

With ``--records`` a synthetic account (``bench-ga``) is (re)built with SQLAlchemy Core bulk inserts:
the rep owns N records (contacts, leads, deals, meetings, calls, emails, tasks) spread over 120 days
around the clock so that every rule has work to do, and a few other users own a quarter as many
each. Without it, an existing account (e.g. a generated scale import) is measured, busiest user.
``--scope`` gives the rep that view scope on every type (default ``all``; with ``team`` the rep
shares a team with two of the others): the rules read only what the rep may read, so a narrower
scope puts the owner sets into every statement. Listing the actions (what the API adds to an
evaluation) is measured too.

The first evaluation creates the actions; later ones measure the steady state (what the API pays per
request). The runs are rolled back at the end so the benchmark can be repeated on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import insights  # noqa: F401
from evals.perf.common import percentiles, show
from insights.core.config import async_database_url
from insights.core.db import make_engine, make_sessionmaker
from insights.core.schema import create_schema
from insights.crm import models as m
from insights.crm.parse import parse_time
from insights.guided_actions.base import User
from insights.guided_actions.models import GuidedAction, GuidedActionFeedback, GuidedActionMember
from insights.guided_actions.runner import RULES, evaluate
from insights.guided_actions.service import list_actions
from insights.permissions.viewer import load_viewer

BENCH = "bench-ga"
CHUNK = 2000
LEAD_STAGES = ("new-stage-id", "attempting-stage-id", "connected-stage-id", "unqualified-stage-id")
ACTIVITY_FIELDS = (
    "meeting_start", "meeting_end", "meeting_outcome", "call_status", "call_source", "call_disposition",
    "call_duration_ms", "email_direction", "thread_id", "from_email", "to_emails", "first_opened_at",
    "task_status", "task_priority", "sequence_id",
)  # fmt: skip
DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "closedwon", "closedlost")


async def _bulk(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            await conn.execute(insert(table), rows[i : i + CHUNK])


def _user_rows(uid: str, n: int, now: datetime, rnd: random.Random, users: list[str]) -> dict[str, list]:
    """Rows for one user owning about ``n`` records: 25% contacts, 5% leads, 10% deals, 60% activities."""
    out: dict[str, list] = {k: [] for k in ("contacts", "cc", "leads", "deals", "dc", "acts", "links")}
    email_of = {u: f"{u}@seller.example" for u in users}

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    n_contacts, n_leads, n_deals = n * 25 // 100, n * 5 // 100, n * 10 // 100
    contacts = [f"{uid}-c{i}" for i in range(n_contacts)]
    for i, cid in enumerate(contacts):
        out["contacts"].append(
            dict(
                portal_id=BENCH,
                id=cid,
                email=f"p{i}@buyer{i % 50}.example",
                first_name="P",
                last_name=str(i),
                lifecycle_stage=rnd.choice(("lead", "lead", "opportunity", "customer")),
                owner_id=uid,
                created_at=ago(rnd.uniform(0, 200)),
                archived=False,
            )
        )
        out["cc"].append(dict(portal_id=BENCH, contact_id=cid, company_id=f"co{i % 200}"))
    for i in range(n_leads):
        out["leads"].append(
            dict(
                portal_id=BENCH,
                id=f"{uid}-l{i}",
                name=f"Lead {i}",
                stage=rnd.choice(LEAD_STAGES),
                owner_id=uid,
                contact_id=contacts[i % n_contacts],
                created_at=ago(rnd.uniform(1, 90)),
                stage_changed_at=ago(rnd.uniform(0, 60)),
                archived=False,
            )
        )
    deals = [f"{uid}-d{i}" for i in range(n_deals)]
    for i, did in enumerate(deals):
        changed = ago(rnd.uniform(0, 40)) if i % 3 else None
        out["deals"].append(
            dict(
                portal_id=BENCH,
                id=did,
                name=f"Deal {i}",
                pipeline_id="default",
                stage_id=rnd.choice(DEAL_STAGES),
                owner_id=uid,
                created_at=ago(rnd.uniform(0, 120)),
                next_step="call" if changed else None,
                next_step_changed_at=changed,
                archived=False,
                timeline_version=1,
            )
        )
        if i % 4:
            for k in range(1 + i % 3):
                out["dc"].append(
                    dict(portal_id=BENCH, deal_id=did, contact_id=contacts[(i * 3 + k) % n_contacts])
                )
    for i in range(n - n_contacts - n_leads - n_deals):
        aid, kind = f"{uid}-a{i}", ("meeting", "call", "email", "email", "task")[i % 5]
        when = ago(rnd.uniform(-3, 120))
        row: dict[str, Any] = dict.fromkeys(ACTIVITY_FIELDS) | dict(
            portal_id=BENCH,
            id=aid,
            type=kind,
            owner_id=uid,
            occurred_at=when,
            title=f"{kind} {i}",
            created_at=when - timedelta(days=1),
            archived=False,
        )
        contact = contacts[rnd.randrange(n_contacts)]
        if kind == "meeting":
            row |= dict(
                meeting_start=when,
                meeting_end=when + timedelta(minutes=45),
                meeting_outcome=rnd.choice((None, "SCHEDULED", "COMPLETED")),
            )
        elif kind == "call":
            row |= dict(
                call_status=rnd.choice(("COMPLETED", None, "NO_ANSWER")),
                call_source=rnd.choice(("CALLING", None)),
                call_disposition=rnd.choice((None, "connected")),
                call_duration_ms=60000,
            )
        elif kind == "email":
            incoming = i % 10 == 7  # a reply to the previous email of the same thread
            row |= dict(
                email_direction="INCOMING_EMAIL" if incoming else "EMAIL",
                thread_id=f"{uid}-t{i // 10}",
                from_email="p@buyer.example" if incoming else email_of[uid],
                to_emails=email_of[uid] if incoming else "p@buyer.example",
                first_opened_at=None if incoming or i % 3 else when + timedelta(hours=2),
            )
        else:
            row |= dict(
                task_status=rnd.choice(("NOT_STARTED", "COMPLETED")),
                task_priority=rnd.choice(("HIGH", "LOW")),
                sequence_id="seq1" if i % 7 == 0 else None,
            )
        out["acts"].append(row)
        out["links"].append(dict(portal_id=BENCH, object_type="contact", object_id=contact, activity_id=aid))
        if i % 2:
            deal = deals[rnd.randrange(n_deals)]
            out["links"].append(dict(portal_id=BENCH, object_type="deal", object_id=deal, activity_id=aid))
    return out


async def build(
    engine: AsyncEngine, records: int, now: datetime, others: int, analyze: bool = True, scope: str = "all"
) -> str:
    """(Re)build the synthetic account; returns the measured rep's id."""
    await create_schema(engine)
    tables = [
        m.ActivityLink,
        m.Activity,
        m.DealContact,
        m.Deal,
        m.Lead,
        m.ContactCompany,
        m.Contact,
        m.Company,
        m.PipelineStage,
        m.Pipeline,
        m.TeamMembership,
        m.Team,
        m.User,
        m.PermissionSet,
        GuidedActionMember,
        GuidedActionFeedback,
        GuidedAction,
    ]
    async with engine.begin() as conn:
        for t in tables:
            await conn.execute(delete(t).where(t.portal_id == BENCH))
        await conn.execute(delete(m.Account).where(m.Account.id == BENCH))
    users = ["rep"] + [f"other{i}" for i in range(others)]
    scopes = dict.fromkeys(m.SCOPED_TYPES, "all")
    await _bulk(engine, m.Account, [dict(id=BENCH, name="bench")])
    rep_scopes = dict.fromkeys(m.SCOPED_TYPES, scope)
    await _bulk(
        engine,
        m.PermissionSet,
        [
            dict(portal_id=BENCH, id="all", scopes=scopes, unassigned=[]),
            dict(portal_id=BENCH, id="rep", scopes=rep_scopes, unassigned=[]),
        ],
    )
    await _bulk(
        engine,
        m.User,
        [
            dict(
                portal_id=BENCH,
                id=u,
                email=f"{u}@seller.example",
                permission_set_id="rep" if u == "rep" else "all",
            )
            for u in users
        ],
    )
    await _bulk(engine, m.Team, [dict(portal_id=BENCH, id="t1", name="Team 1")])
    await _bulk(
        engine,
        m.TeamMembership,
        [dict(portal_id=BENCH, team_id="t1", user_id=u, is_primary=True) for u in users[:3]],
    )
    await _bulk(engine, m.Pipeline, [dict(portal_id=BENCH, id="default", label="Sales")])
    await _bulk(
        engine,
        m.PipelineStage,
        [
            dict(
                portal_id=BENCH, pipeline_id="default", id=s, display_order=i, is_closed=i >= 2, is_won=i == 2
            )
            for i, s in enumerate(DEAL_STAGES)
        ],
    )
    await _bulk(
        engine,
        m.Company,
        [
            dict(portal_id=BENCH, id=f"co{i}", name=f"Co {i}", is_target_account=i % 5 == 0)
            for i in range(200)
        ],
    )
    rnd = random.Random(7)
    rows: dict[str, list] = {}
    for u in users:
        for k, v in _user_rows(u, records if u == "rep" else records // 4, now, rnd, users).items():
            rows.setdefault(k, []).extend(v)
    targets = (
        ("contacts", m.Contact),
        ("cc", m.ContactCompany),
        ("leads", m.Lead),
        ("deals", m.Deal),
        ("dc", m.DealContact),
        ("acts", m.Activity),
        ("links", m.ActivityLink),
    )
    for key, table in targets:
        await _bulk(engine, table, rows[key])
    if analyze:  # planner statistics, as a maintained database has them (SQLite has none by default)
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    print(
        f"built {BENCH}: rep owns {records:,} records (scope {scope}); {others} others own"
        f" {records // 4:,} each"
    )
    return "rep"


async def _busiest(sm: Any, account: str) -> tuple[str, int]:
    async with sm() as s:
        top, n = (
            await s.execute(
                select(m.Activity.owner_id, func.count())
                .where(m.Activity.portal_id == account)
                .group_by(m.Activity.owner_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()
        for t in (m.Deal, m.Contact, m.Lead):
            n += await s.scalar(
                select(func.count()).select_from(t).where(t.portal_id == account, t.owner_id == top)
            )
        return top, n


async def main(
    url: str,
    account: str,
    now_s: str,
    repeats: int,
    records: int | None,
    others: int,
    analyze: bool,
    scope: str = "all",
    per_rule_timeout: float = 0.0,
) -> None:
    now = parse_time(now_s, "--now")
    engine = make_engine(async_database_url(url))
    await create_schema(engine)  # adds tables a database imported before them lacks
    if records:
        started = time.perf_counter()
        await build(engine, records, now, others, analyze, scope)
        print(f"  build took {time.perf_counter() - started:.1f} s")
        account = BENCH
    sm = make_sessionmaker(engine)
    top, n_records = await _busiest(sm, account)
    async with sm() as s:
        users = list(await s.scalars(select(m.User.id).where(m.User.portal_id == account)))
    print(f"{engine.dialect.name}: user {top} owns {n_records:,} records")
    if per_rule_timeout:
        await _per_rule(sm, engine.dialect.name, account, top, now, per_rule_timeout)
        await engine.dispose()
        return
    times, created, active = [], 0, 0
    async with sm() as s:
        for i in range(repeats + 1):
            started = time.perf_counter()
            result = await evaluate(s, account, top, now)
            await s.flush()
            times.append((time.perf_counter() - started) * 1000)
            if i == 0:
                created = len(result.created)
            active = len(result.active)
        viewer = await load_viewer(s, account, top)
        assert viewer is not None
        list_times, listed = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            listed = len(await list_actions(s, top, viewer, "all"))
            list_times.append((time.perf_counter() - started) * 1000)
        await s.rollback()
    print(f"  first run created {created} actions; {active} active afterwards; {listed} listed")
    show("evaluate ms, the rep: first run", {"first": times[0]})
    show("evaluate ms, the rep: steady state", percentiles(times[1:]))
    show("list ms, the rep's actions", percentiles(list_times))
    all_times = []
    async with sm() as s:
        started_all = time.perf_counter()
        for u in _iter(users):
            started = time.perf_counter()
            await evaluate(s, account, u, now)
            all_times.append((time.perf_counter() - started) * 1000)
        total = time.perf_counter() - started_all
        await s.rollback()
    show(f"evaluate ms, each of {len(users)} users (first run)", {**percentiles(all_times), "total_s": total})
    await engine.dispose()


async def _per_rule(sm: Any, dialect: str, account: str, user: str, now: datetime, timeout_s: float) -> None:
    """Each rule's finder alone for one user (where a rule's time goes; the expiry checks that follow
    it are cheap by comparison). On PostgreSQL a finder past the timeout is cancelled by the server
    (statement_timeout) and printed as such; SQLite cannot cancel one, so it has no timeout."""
    async with sm() as s:
        viewer = await load_viewer(s, account, user)
        assert viewer is not None
        u = User.of(viewer)
        if dialect == "postgresql":
            await s.execute(text(f"SET statement_timeout = {int(timeout_s * 1000)}"))
        total = 0.0
        print(f"  {'rule':<36} {'ms':>9} {'found':>6}")
        for rule in RULES:
            started = time.perf_counter()
            try:
                found: int | str = len(await rule.find(s, u, now))
            except DBAPIError:  # the statement timeout
                await s.rollback()
                if dialect == "postgresql":
                    await s.execute(text(f"SET statement_timeout = {int(timeout_s * 1000)}"))
                found = "timeout"
            ms = (time.perf_counter() - started) * 1000
            total += ms
            print(f"  {rule.number:>2} {rule.key:<33} {ms:>9.0f} {found!s:>6}")
        print(f"  {'all finders':<36} {total:>9.0f}")
        await s.rollback()


def _iter(users: list[str]) -> Iterable[str]:
    return sorted(users)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--account", default="scale", help="measure an existing account (without --records)")
    p.add_argument("--records", type=int, default=None, help="build a synthetic account with this many")
    p.add_argument("--others", type=int, default=4, help="other users of the synthetic account")
    p.add_argument("--now", default="2026-11-01T12:00:00Z")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--no-analyze", action="store_true", help="leave the planner without statistics")
    p.add_argument(
        "--scope",
        choices=("all", "team", "owned"),
        default="all",
        help="the rep's view scope (with --records)",
    )
    p.add_argument(
        "--per-rule",
        type=float,
        default=0.0,
        metavar="TIMEOUT_S",
        help="time each rule's finder alone for the busiest user (PostgreSQL cancels one past TIMEOUT_S)",
    )
    a = p.parse_args()
    asyncio.run(
        main(
            a.database_url,
            a.account,
            a.now,
            a.repeats,
            a.records,
            a.others,
            not a.no_analyze,
            a.scope,
            a.per_rule,
        )
    )
