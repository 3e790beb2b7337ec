"""The demo account's health: all three categories, an alert for Ana, the risk on deal 9003."""

from __future__ import annotations

from typing import Any

from insights.core.config import Settings
from insights.crm.demo_health import PROFILE_ID, seed_health
from insights.health.profiles import profiles_of
from insights.health.service import alerts, summary
from insights.permissions.viewer import load_viewer
from tests.conftest import DEMO_NOW
from tests.http import auth, client_for


async def test_the_demo_has_every_category_an_alert_for_ana_and_an_at_risk_deal(
    demo: Any, settings: Settings
) -> None:
    async with demo() as s:
        await seed_health(s, DEMO_NOW)
        await seed_health(s, DEMO_NOW)  # idempotent: loading the demo twice changes nothing
        await s.commit()
        admin = await load_viewer(s, "demo", "100")
        ana = await load_viewer(s, "demo", "101")
        assert admin is not None and ana is not None
        (profile,) = await profiles_of(s, "demo")
        everything = await summary(s, admin, profile, 30, DEMO_NOW)
        anas = await alerts(s, ana, DEMO_NOW)
    assert profile.id == PROFILE_ID
    assert {c.category: c.count for c in everything.categories} == {"at_risk": 1, "neutral": 1, "good": 3}
    assert len(everything.over_time) == 30  # the 30 days ending today
    assert ("co-10", "good", "neutral") in [(a.record.id, a.from_category, a.to_category) for a in anas]
    async with client_for(settings) as c:
        body = (await c.get("/v1/deals/9003/insights", headers=auth(settings, "101"))).json()
    (risk,) = [r for r in body["risks"] if r["kind"] == "company_at_risk"]
    assert risk["record"]["id"] == "co-11" and risk["criteria"]
