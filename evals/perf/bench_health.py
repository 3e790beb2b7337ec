"""Health scoring of every company of a generated account, and one rep's summary.

    insights generate /tmp/scale.jsonl --deals 10000 --activities 1000000 --users 200 --seed 1
    DATABASE_URL=sqlite+aiosqlite:////tmp/scale.db insights import /tmp/scale.jsonl
    python -m evals.perf.bench_health --database-url sqlite+aiosqlite:////tmp/scale.db
    python -m evals.perf.bench_health --database-url postgresql://postgres@127.0.0.1:5432/scale

The account gets a profile with one criterion of every kind (a ``renewal_date`` property is given
to every third company first, once) and is recomputed: the scoring statement alone, then a whole
``recompute`` (scores, today's snapshot, alerts, the deals' versions) on a new day and again on the
same day (the idempotent steady state). Then one rep's summary, records page and alerts, sampled.
The profile and one day of scores are left in place (the summary needs them); recomputes of other
days are rolled back, so the benchmark repeats on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update

import insights  # noqa: F401  (offline defaults)
from evals.perf.common import percentiles, show
from insights.core.config import async_database_url
from insights.core.db import make_engine, make_sessionmaker
from insights.core.migrate import upgrade
from insights.crm import models as m
from insights.health.measures import Clock
from insights.health.models import HealthProfile
from insights.health.profiles import ProfileIn, create_profile
from insights.health.recompute import recompute
from insights.health.scoring import score_all
from insights.health.service import Summary, alerts, records, summary
from insights.permissions import load_viewer

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the generator's clock
PROFILE_ID = "bench-health"


def _criteria() -> list[dict[str, Any]]:
    def c(kind: str, thresholds: list[float], points: list[float], **kw: Any) -> dict[str, Any]:
        return {"key": kind, "kind": kind, "weight": kw.pop("weight", 1), "thresholds": thresholds,
                "points": points, **kw}  # fmt: skip

    return [
        c("days_since_last_activity", [7, 30, 90], [100, 70, 30, 0], weight=3),
        c("meetings_last_n_days", [1, 3], [0, 60, 100], window_days=30),
        c("calls_last_n_days", [1, 5], [0, 60, 100], window_days=30),
        c("emails_last_n_days", [1, 10], [0, 60, 100], window_days=30),
        c("inbound_email_share", [20, 40], [0, 50, 100], window_days=90, missing_points=50),
        c("overdue_high_priority_tasks", [1, 3], [100, 50, 0]),
        c("open_deals", [1], [0, 100]),
        c("open_deal_stage_progress", [30, 60], [0, 50, 100], missing_points=0),
        c("closed_lost_deals_last_n_days", [1], [100, 0], window_days=90),
        c("deal_score_trend", [-10, 0], [0, 50, 100], window_days=30, missing_points=50),
        c("days_until_renewal", [30, 90], [20, 60, 100], missing_points=60),
    ]


async def _prepare(sm: Any, account: str) -> None:
    async with sm() as s:
        if await s.get(HealthProfile, (account, PROFILE_ID)) is not None:
            return
        ids = list(
            (
                await s.scalars(
                    select(m.Company.id).where(m.Company.portal_id == account).order_by(m.Company.id)
                )
            ).all()
        )
        rows = [
            {"i": cid, "p": {"renewal_date": (NOW + timedelta(days=n % 365)).date().isoformat()}}
            for n, cid in enumerate(ids)
            if n % 3 == 0
        ]
        table: Any = m.Company.__table__
        stmt = update(table).where(table.c.portal_id == account, table.c.id == bindparam("i"))
        for i in range(0, len(rows), 1000):
            await s.execute(stmt.values(properties=bindparam("p")), rows[i : i + 1000])
        body = ProfileIn.model_validate(
            {
                "name": "Bench",
                "criteria": _criteria(),
                "renewal_property": "renewal_date",
                "drop_alert_points": 15,
            }
        )
        row = await create_profile(s, account, body, NOW)
        row.id = PROFILE_ID
        await s.commit()


async def main(url: str, account: str, samples: int) -> None:
    engine = make_engine(async_database_url(url))
    await upgrade(engine)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        companies = await s.scalar(
            select(func.count()).select_from(m.Company).where(m.Company.portal_id == account)
        )
        acts = await s.scalar(
            select(func.count()).select_from(m.Activity).where(m.Activity.portal_id == account)
        )
        rep = await s.scalar(
            select(m.User.id)
            .where(m.User.portal_id == account, m.User.permission_set_id == "rep")
            .order_by(m.User.id)
        )
    if not companies or rep is None:
        raise SystemExit(f"account {account!r} has no companies or no rep: import a generated file first")
    print(f"{engine.dialect.name}: {companies:,} companies, {acts:,} activities; rep {rep}")
    await _prepare(sm, account)

    async with sm() as s:
        profile = await s.get(HealthProfile, (account, PROFILE_ID))
        assert profile is not None
        times = []
        for _ in range(3):
            started = time.perf_counter()
            scored = await score_all(s, profile, Clock(NOW, engine.dialect.name))
            times.append((time.perf_counter() - started) * 1000)
        cats = {c: sum(1 for x in scored if x.category == c) for c in ("at_risk", "neutral", "good")}
        show("scoring statement, all companies, ms", {**percentiles(times), **cats})
        started = time.perf_counter()
        await recompute(s, account, NOW)  # the day the summary reads: kept
        first = (time.perf_counter() - started) * 1000
        await s.commit()
    async with sm() as s:
        started = time.perf_counter()
        again = await recompute(s, account, NOW)
        steady = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        nxt = await recompute(s, account, NOW + timedelta(days=1))
        next_day = (time.perf_counter() - started) * 1000
        await s.rollback()
    show("recompute ms", {"first": first, "same day again": steady, "next day": next_day})
    show("recompute next day", {"changed": nxt.changed, "alerts": nxt.alerts, "deals moved": nxt.deals_bumped,
                                "same-day changed": again.changed})  # fmt: skip

    async with sm() as s:
        viewer = await load_viewer(s, account, rep)
        profile = await s.get(HealthProfile, (account, PROFILE_ID))
        assert viewer is not None and profile is not None
        for name, call in (
            ("summary (30 days)", lambda: summary(s, viewer, profile, 30, NOW)),
            ("records page (50, at risk)", lambda: records(s, viewer, profile, "at_risk", 50, 0)),
            ("alerts", lambda: alerts(s, viewer, NOW)),
        ):
            times = []
            for _ in range(samples):
                started = time.perf_counter()
                out = await call()
                times.append((time.perf_counter() - started) * 1000)
            extra = {"records": out.records} if isinstance(out, Summary) else {}
            show(f"{name} for one rep, ms", {**percentiles(times), **extra})
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--account", default="scale")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.account, args.samples))
