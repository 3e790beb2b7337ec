"""While a background rebuild is pending, the interim answer keeps the account's switches and the
sidebar's links: Customer Analysis off is "disabled" (never data), and a building answer names the
activities its rules risks rest on (the review of the merged change found both)."""

from __future__ import annotations

from sqlalchemy import update

from insights.core.config import Settings
from insights.crm.models import Account
from insights.insight.service import InsightService
from insights.permissions.viewer import load_viewer
from tests.conftest import DEMO_NOW

ANA = "101"


class AlwaysPending:
    """The job queue as the service sees it, with a rebuild of every insight under way."""

    async def pending(self, portal_id: str, deal_id: str, user_id: str) -> bool:
        return True


async def _interim(demo, settings: Settings, deal: str):  # type: ignore[no-untyped-def]
    service = InsightService(settings)
    service.clock = lambda: DEMO_NOW
    service.rebuilds = AlwaysPending()
    async with demo() as s:
        viewer = await load_viewer(s, "demo", ANA)
        assert viewer is not None
        return await service.insight_for(s, deal, viewer)


async def test_customer_analysis_off_is_disabled_even_while_a_rebuild_is_pending(demo, settings) -> None:  # type: ignore[no-untyped-def]
    async with demo() as s:
        await s.execute(
            update(Account)
            .where(Account.id == "demo")
            .values(customer_analysis_enabled=False, settings_version=Account.settings_version + 1)
        )
        await s.commit()
    got = await _interim(demo, settings, "9001")
    assert got is not None and got.status == "disabled" and got.reason == "customer_analysis_off"
    assert got.recent_activity.items == [] and got.risks == []
    assert got.deal_name == "Northwind renewal"  # the copy text names the deal, disabled or not


async def test_a_building_answer_names_the_sources_of_its_rules_risks(demo, settings) -> None:  # type: ignore[no-untyped-def]
    linked = []
    for deal in ("9001", "9002", "9003", "9004", "9005"):
        got = await _interim(demo, settings, deal)
        if got is None:  # a deal Ana may not see
            continue
        assert got.freshness == "building"
        linked += [r for r in got.risks if r.activity_ids]
    assert linked, "no rules risk of the demo links an activity"
    assert all([src.activity_id for src in r.sources] == r.activity_ids for r in linked)
