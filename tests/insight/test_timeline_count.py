"""A busy deal's timeline: the newest 100 visible over every path, and a count that stops at 1,000
(shown as "1,000+"), for a viewer who sees most of it and one who sees a sliver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from insights.insight.ask import basis_of
from insights.insight.retrieval import deal_context
from insights.insight.timeline import COUNT_CAP
from insights.permissions import load_viewer
from tests.crm.helpers import run, small_doc

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def busy_doc() -> tuple[dict[str, Any], dict[str, list[tuple[datetime, str]]]]:
    """1,050 notes on the deal (everyone's), 30 emails of Ana's and 30 of Ben's on its contact, at
    times that tie in pairs; returns the doc and what each viewer should see, newest first."""
    doc = small_doc()
    doc["permission_sets"] = [
        {
            "id": "rep",
            "name": "Rep",
            "scopes": {"deal": "all", "contact": "all", "email": "owned", "note": "all"},
        },
        {"id": "mail", "name": "Mail", "scopes": {"deal": "all", "contact": "all", "email": "owned"}},
    ]
    doc["owners"].append(
        {
            "id": "102",
            "email": "ben@acme.example",
            "firstName": "Ben",
            "lastName": "Ng",
            "permissionSetId": "mail",
        }
    )
    notes, emails = [], []
    seen: dict[str, list[tuple[datetime, str]]] = {"101": [], "102": []}
    for i in range(1050):
        at = NOW - timedelta(days=1, minutes=i // 2)
        notes.append(
            {
                "id": f"n{i:04}",
                "properties": {
                    "hs_timestamp": _iso(at),
                    "hs_note_body": f"note {i}",
                    "hubspot_owner_id": "101",
                },
                "associations": {"deals": {"results": [{"id": "9001"}]}},
            }
        )
        seen["101"].append((at, f"n{i:04}"))
    for i in range(60):
        owner = "101" if i % 2 else "102"
        at = NOW - timedelta(days=1, minutes=3 * i)  # among the newest notes' times
        emails.append(
            {
                "id": f"e{i:03}",
                "properties": {"hs_timestamp": _iso(at), "hubspot_owner_id": owner, "hs_email_subject": "hi"},
                "associations": {"contacts": {"results": [{"id": "51"}]}},
            }
        )
        seen[owner].append((at, f"e{i:03}"))
    doc["notes"] += notes
    doc["emails"] = [*doc["emails"], *emails]
    seen["101"] += [
        (datetime(2026, 11, 12, 10, tzinfo=UTC), "e1"),
        (datetime.fromtimestamp(1794000000, UTC), "n1"),
    ]
    for v in seen.values():
        v.sort(key=lambda t: (-t[0].timestamp(), t[1]))
    return doc, seen


async def view(sm, user: str):  # type: ignore[no-untyped-def]
    async with sm() as s:
        viewer = await load_viewer(s, "acme", user)
        assert viewer is not None
        return await deal_context(s, "9001", viewer, now=NOW)


async def test_count_stops_at_the_cap_and_the_newest_100_are_exact(sessionmaker) -> None:
    doc, seen = busy_doc()
    report = await run(sessionmaker, doc)
    assert report.rejected == []
    ana = await view(sessionmaker, "101")
    assert len(seen["101"]) > COUNT_CAP
    assert (ana.activity_count, ana.activity_count_capped, ana.truncated) == (COUNT_CAP, True, True)
    assert [(a.occurred_at, a.id) for a in ana.activities] == seen["101"][:100]
    assert ana.newest_activity_at == seen["101"][0][0]
    assert {tuple(a.via) for a in ana.activities} == {("deal",), ("contact:51",)}
    basis = basis_of(ana)
    assert (basis.activity_count, basis.activity_count_capped) == (COUNT_CAP, True)


async def test_a_viewer_who_sees_a_sliver_of_a_busy_path_gets_it_exactly(sessionmaker) -> None:
    doc, seen = busy_doc()
    await run(sessionmaker, doc)
    ben = await view(sessionmaker, "102")
    assert (ben.activity_count, ben.activity_count_capped, ben.truncated) == (30, False, False)
    assert [(a.occurred_at, a.id) for a in ben.activities] == seen["102"]


async def test_the_count_under_the_cap_is_exact_even_when_the_limit_is_smaller(sessionmaker) -> None:
    doc, seen = busy_doc()
    await run(sessionmaker, doc)
    async with sessionmaker() as s:
        viewer = await load_viewer(s, "acme", "102")
        few = await deal_context(s, "9001", viewer, now=NOW, limit=0)
    assert few is not None and few.activities == []
    assert (few.activity_count, few.truncated, few.newest_activity_at) == (30, True, seen["102"][0][0])


def two_path_doc() -> dict[str, Any]:
    """No path alone reaches the cap, their union does: 600 notes on the deal; 600 emails of Ana's
    on the contact, 200 of them on the deal too; 150 of Ben's on both paths."""
    doc, _ = busy_doc()
    doc["notes"] = doc["notes"][:600]
    emails = []
    for i in range(750):
        owner, both = ("101", i < 200) if i < 600 else ("102", True)
        at = NOW - timedelta(days=2, minutes=i)
        where = {"contacts": {"results": [{"id": "51"}]}}
        if both:
            where["deals"] = {"results": [{"id": "9001"}]}
        emails.append(
            {
                "id": f"m{i:03}",
                "properties": {"hs_timestamp": _iso(at), "hubspot_owner_id": owner, "hs_email_subject": "hi"},
                "associations": where,
            }
        )
    doc["emails"] = [doc["emails"][0], *emails]
    return doc


async def test_the_paths_are_merged_before_counting_when_none_alone_reaches_the_cap(sessionmaker) -> None:
    await run(sessionmaker, two_path_doc())
    ana = await view(sessionmaker, "101")  # 600 notes + 600 emails + e1 + n1, no path over 801
    assert (ana.activity_count, ana.activity_count_capped) == (COUNT_CAP, True)
    ben = await view(sessionmaker, "102")  # 150 emails, each on two paths: counted once
    assert (ben.activity_count, ben.activity_count_capped, ben.truncated) == (150, False, True)
    assert all(a.via == ["contact:51", "deal"] for a in ben.activities)
