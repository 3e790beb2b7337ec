"""Stored insights whose sources were archived are purged, not kept for reuse (issue 10, item 9)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.core.config import Settings
from insights.insight.feedback import FeedbackIn, give_feedback
from insights.insight.service import InsightService
from insights.insight.store import (
    InsightFeedback,
    InsightView,
    StoredInsight,
    cited_activities,
    shown_insight,
)
from tests.crm.helpers import change, demo_record, insight_of, run

ANA, BEN = "101", "102"


async def stored(sm: async_sessionmaker[AsyncSession], deal: str) -> list[str]:
    async with sm() as s:
        return list(
            await s.scalars(
                select(StoredInsight.id).where(
                    StoredInsight.portal_id == "demo", StoredInsight.deal_id == deal
                )
            )
        )


async def count(sm: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sm() as s:
        return await s.scalar(select(func.count()).select_from(model).where(model.portal_id == "demo"))


async def test_stored_insights_citing_an_archived_activity_are_purged_with_their_views_not_feedback(
    demo, settings: Settings
) -> None:
    service = InsightService(settings)
    ana = await insight_of(demo, service, "9001", ANA)
    ben = await insight_of(demo, service, "9001", BEN)  # Ben sees another timeline: a second insight
    other = await insight_of(demo, service, "9002", ANA)
    assert ana.insight_id != ben.insight_id and "m-9001-2" in cited_activities(ana.model_dump())
    async with demo() as s:
        assert await give_feedback(s, "demo", ANA, ana.insight_id, FeedbackIn(rating="helpful")) is not None
        await s.commit()
    views = await count(demo, InsightView)

    meeting = change(demo_record("meetings", "m-9001-2"), archived=True)
    report = await run(demo, {"meetings": [meeting]}, account_id="demo")

    assert report.insights_purged == 2
    assert await stored(demo, "9001") == [] and await stored(demo, "9002") == [other.insight_id]
    assert await count(demo, InsightView) == views - 2
    assert await count(demo, InsightFeedback) == 1  # the rating stays; the body it was about does not
    async with demo() as s:
        assert await shown_insight(s, "demo", ana.insight_id, ANA) is None  # no copy, no reuse
        assert await shown_insight(s, "demo", other.insight_id, ANA) is not None


async def test_archiving_a_contact_purges_insights_citing_what_reached_the_deal_only_through_it(
    demo, settings: Settings
) -> None:
    service = InsightService(settings)
    ana = await insight_of(demo, service, "9001", ANA)
    assert "e-budget" in cited_activities(ana.model_dump())  # on contact c-51 only, not on the deal
    report = await run(
        demo, {"contacts": [change(demo_record("contacts", "c-51"), archived=True)]}, account_id="demo"
    )
    assert report.insights_purged == 1 and await stored(demo, "9001") == []


async def test_archiving_a_contact_keeps_insights_whose_sources_stay_on_the_timeline(
    demo, settings: Settings
) -> None:
    service = InsightService(settings)
    ana = await insight_of(demo, service, "9001", ANA)
    assert "call-9001-1" in cited_activities(ana.model_dump())  # on Tom (c-52) and on the deal itself
    report = await run(
        demo, {"contacts": [change(demo_record("contacts", "c-52"), archived=True)]}, account_id="demo"
    )
    assert report.insights_purged == 0 and await stored(demo, "9001") == [ana.insight_id]


async def test_archiving_a_deal_purges_all_its_stored_insights(demo, settings: Settings) -> None:
    service = InsightService(settings)
    await insight_of(demo, service, "9002", ANA)
    await insight_of(demo, service, "9002", BEN)
    before = await stored(demo, "9002")
    assert before
    report = await run(
        demo, {"deals": [change(demo_record("deals", "9002"), archived=True)]}, account_id="demo"
    )
    assert report.insights_purged == len(before) and await stored(demo, "9002") == []


async def test_a_change_that_archives_nothing_purges_nothing(demo, settings: Settings) -> None:
    service = InsightService(settings)
    ana = await insight_of(demo, service, "9001", ANA)
    note = change(demo_record("notes", "n-9001-1"), hubspot_owner_id="104")  # reassigned, not archived
    report = await run(demo, {"notes": [note]}, account_id="demo")
    assert report.insights_purged == 0 and await stored(demo, "9001") == [ana.insight_id]


async def test_feedback_on_a_purged_insight_is_still_exported_without_its_body(
    demo, settings: Settings
) -> None:
    import json

    from insights.insight.feedback import export_feedback

    service = InsightService(settings)
    ana = await insight_of(demo, service, "9001", ANA)
    other = await insight_of(demo, service, "9002", ANA)
    async with demo() as s:
        for insight, rating in ((ana, "not_helpful"), (other, "helpful")):
            assert await give_feedback(s, "demo", ANA, insight.insight_id, FeedbackIn(rating=rating))
        await s.commit()
    meeting = change(demo_record("meetings", "m-9001-2"), archived=True)
    await run(demo, {"meetings": [meeting]}, account_id="demo")

    async with demo() as s:
        rows = [json.loads(line) async for line in export_feedback(s, "demo")]
    by_insight = {r["insight_id"]: r for r in rows}
    assert set(by_insight) == {ana.insight_id, other.insight_id}  # nothing a rep said is lost
    purged, kept = by_insight[ana.insight_id], by_insight[other.insight_id]
    assert purged["insight_purged"] is True and purged["insight"] is None
    assert purged["rating"] == "not_helpful"
    assert "m-9001-2" not in json.dumps(purged)  # the purged body does not come back through the export
    assert kept["insight_purged"] is False and kept["insight"]["deal_id"] == "9002"
