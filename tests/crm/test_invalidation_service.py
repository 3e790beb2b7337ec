"""End to end through one InsightService (its cache and stored-insight reuse): after an import that
takes something away from a viewer, the next answer no longer holds it (issue 10, items 2 and 3)."""

from __future__ import annotations

from insights.core.config import Settings
from insights.insight.service import InsightService
from tests.crm.helpers import change, demo_record, insight_of, run

ANA = "101"  # rep in t-uk: notes and contacts by team, emails owned
DIEGO = "104"  # t-us: outside Ana's team


def ids(insight) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.activity_id for i in insight.recent_activity.items]


async def test_reassigning_an_activity_away_from_a_viewer_takes_it_out_of_their_cached_insight(
    demo, settings: Settings
) -> None:
    service = InsightService(settings)
    assert "n-9001-1" in ids(await insight_of(demo, service, "9001", ANA))  # Ben's note: Ana's team
    assert (await insight_of(demo, service, "9001", ANA)).cached  # the next answer is the cache's
    note = change(demo_record("notes", "n-9001-1"), hubspot_owner_id=DIEGO)  # no associations repeated
    report = await run(demo, {"notes": [note]}, account_id="demo")
    assert report.updated == {"note": 1}
    again = await insight_of(demo, service, "9001", ANA)
    assert "n-9001-1" not in ids(again) and not again.cached


async def test_archiving_an_activity_takes_it_out_of_the_cached_insight(demo, settings: Settings) -> None:
    service = InsightService(settings)
    assert "m-9001-2" in ids(await insight_of(demo, service, "9001", ANA))
    await run(
        demo, {"meetings": [change(demo_record("meetings", "m-9001-2"), archived=True)]}, account_id="demo"
    )
    assert "m-9001-2" not in ids(await insight_of(demo, service, "9001", ANA))


async def test_a_contact_reassigned_away_takes_its_address_out_of_the_cached_insight(
    demo, settings: Settings
) -> None:
    """The contact is on no deal: only the address in the note's text ties it to deal 9001."""
    zed = {"id": "c-zed", "properties": {"email": "zed@outside.example", "hubspot_owner_id": ANA}}
    note = {
        "id": "n-zed",
        "properties": {
            "hs_timestamp": "2026-11-20T09:00:00Z",
            "hubspot_owner_id": ANA,
            "hs_note_body": "Legal wants zed@outside.example on the order form",
        },
        "associations": {"deals": {"results": [{"id": "9001"}]}},
    }
    await run(demo, {"contacts": [zed], "notes": [note]}, account_id="demo")
    service = InsightService(settings)

    def titles(insight) -> str:  # type: ignore[no-untyped-def]
        return " ".join(i.title for i in insight.recent_activity.items)

    assert "zed@outside.example" in titles(await insight_of(demo, service, "9001", ANA))  # Ana's contact
    assert (await insight_of(demo, service, "9001", ANA)).cached
    await run(demo, {"contacts": [change(zed, hubspot_owner_id=DIEGO)]}, account_id="demo")
    again = titles(await insight_of(demo, service, "9001", ANA))
    assert "zed@outside.example" not in again and "[hidden address]" in again
