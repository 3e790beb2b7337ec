"""Property test: the SQL retriever returns exactly what the reference predicate allows.

Hypothesis generates whole accounts — a team tree, secondary memberships, scopes per object type,
unassigned flags, owners (including none and non-users), deal sharing, associations, activities
reachable through several paths and at tied times — imports each into its own portal of a real
database (SQLite, or PostgreSQL under .ci/run) and compares every user's view of every deal.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.insight.retrieval import deal_context
from insights.permissions import load_viewer
from insights.permissions.reference import RefAccount, RefUser, reference_context
from tests.hypothesis_profiles import examples

TYPES = ("deal", "contact", "company", "email", "call", "meeting", "note", "task")
ACTIVITY_TYPES = ("email", "call", "meeting", "note", "task")
NOW = datetime(2026, 6, 1, tzinfo=UTC)
TIMES = [NOW - timedelta(days=d) for d in (0, 1, 1, 3)] + [NOW + timedelta(days=2)]
LIMIT = 4
PLURAL = {"deal": "deals", "contact": "contacts", "company": "companies"}
_portal = itertools.count()


@st.composite
def accounts(draw: st.DrawFn) -> RefAccount:
    n_teams = draw(st.integers(0, 4))
    teams = [f"t{i}" for i in range(n_teams)]
    parent = {t: (draw(st.sampled_from([None, *teams[:i]])) if i else None) for i, t in enumerate(teams)}
    users = {}
    for i in range(draw(st.integers(1, 4))):
        uid = f"u{i}"
        users[uid] = RefUser(
            id=uid,
            scopes={t: draw(st.sampled_from(["all", "team", "owned", "none"])) for t in TYPES},
            unassigned=set(draw(st.lists(st.sampled_from(TYPES), max_size=3))),
            teams=set(draw(st.lists(st.sampled_from(teams), max_size=2))) if teams else set(),
            super_admin=draw(st.integers(0, 9)) == 0,
        )
    owners = st.sampled_from([None, "ghost", *users])  # "ghost" owns things but is no user
    deals = ["d0", "d1"]
    contacts = [f"c{i}" for i in range(draw(st.integers(0, 3)))]
    companies = [f"co{i}" for i in range(draw(st.integers(0, 2)))]
    objects = (
        [("deal", d) for d in deals]
        + [("contact", c) for c in contacts]
        + [("company", c) for c in companies]
    )
    activities = {}
    links = set()
    for i in range(draw(st.integers(0, 10))):
        aid = f"a{i}"
        activities[aid] = (draw(st.sampled_from(ACTIVITY_TYPES)), draw(owners), draw(st.sampled_from(TIMES)))
        for kind, oid in draw(st.lists(st.sampled_from(objects), min_size=1, max_size=3)):
            links.add((aid, kind, oid))
    share_targets = st.sampled_from([("user", u) for u in users] + [("team", t) for t in teams])
    return RefAccount(
        users=users,
        team_parent=parent,
        deal_owner={d: draw(owners) for d in deals},
        deal_shares={d: set(draw(st.lists(share_targets, max_size=2))) for d in deals},
        contact_owner={c: draw(owners) for c in contacts},
        company_owner={c: draw(owners) for c in companies},
        deal_contacts=set(
            draw(st.lists(st.tuples(st.sampled_from(deals), st.sampled_from(contacts)), max_size=4))
        )
        if contacts
        else set(),
        deal_companies=set(
            draw(st.lists(st.tuples(st.sampled_from(deals), st.sampled_from(companies)), max_size=3))
        )
        if companies
        else set(),
        activities=activities,
        links=links,
    )


def to_document(acct: RefAccount, portal: str) -> dict[str, Any]:
    def owner(o: str | None) -> dict[str, str]:
        return {} if o is None else {"hubspot_owner_id": o}

    def assoc(kind: str, oid: str) -> dict[str, Any]:
        out: dict[str, list[dict[str, str]]] = {}
        if kind == "deal":
            for d, c in acct.deal_contacts:
                if d == oid:
                    out.setdefault("contacts", []).append({"id": c})
            for d, c in acct.deal_companies:
                if d == oid:
                    out.setdefault("companies", []).append({"id": c})
        else:
            for a, k, o in sorted(acct.links):
                if a == oid:
                    out.setdefault(PLURAL[k], []).append({"id": o})
        return {k: {"results": v} for k, v in out.items()}

    return {
        "account": {"id": portal, "settings": {}},
        "teams": [{"id": t, "parentTeamId": p} for t, p in acct.team_parent.items()],
        "owners": [
            {
                "id": u.id,
                "superAdmin": u.super_admin,
                "scopes": u.scopes,
                "unassigned": sorted(u.unassigned),
                "teams": [{"id": t} for t in sorted(u.teams)],
            }
            for u in acct.users.values()
        ],
        "companies": [{"id": c, "properties": owner(o)} for c, o in acct.company_owner.items()],
        "contacts": [{"id": c, "properties": owner(o)} for c, o in acct.contact_owner.items()],
        "deals": [
            {
                "id": d,
                "properties": {
                    "dealname": d,
                    **owner(o),
                    "hs_shared_user_ids": ";".join(p for k, p in acct.deal_shares[d] if k == "user"),
                    "hs_shared_team_ids": ";".join(p for k, p in acct.deal_shares[d] if k == "team"),
                },
                "associations": assoc("deal", d),
            }
            for d, o in acct.deal_owner.items()
        ],
        **{
            f"{t}s": [
                {
                    "id": a,
                    "properties": {"hs_timestamp": at.isoformat(), **owner(o)},
                    "associations": assoc("activity", a),
                }
                for a, (kind, o, at) in sorted(acct.activities.items())
                if kind == t
            ]
            for t in ACTIVITY_TYPES
        },
    }


@settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
@given(acct=accounts())
async def test_sql_retriever_agrees_with_reference(sessionmaker, acct: RefAccount) -> None:
    portal = f"prop-{next(_portal)}"
    async with sessionmaker() as s:
        report = await import_records(s, iter_document(to_document(acct, portal)))
        assert report.rejected == [], report.rejected
        await s.commit()
    async with sessionmaker() as s:
        for uid in acct.users:
            viewer = await load_viewer(s, portal, uid)
            assert viewer is not None
            for deal in acct.deal_owner:
                got = await deal_context(s, deal, viewer, now=NOW, limit=LIMIT)
                want = reference_context(acct, uid, deal, NOW, LIMIT)
                assert (got is None) == (want is None), (uid, deal)
                if got is None or want is None:
                    continue
                assert [c.id for c in got.contacts] == want.contacts, (uid, deal)
                assert [c.id for c in got.companies] == want.companies, (uid, deal)
                assert [a.id for a in got.activities] == want.timeline, (uid, deal)
                assert got.activity_count == want.count, (uid, deal)
