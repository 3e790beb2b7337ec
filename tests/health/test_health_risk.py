"""The deal-insights rules risk ``company_at_risk``: linked to the criteria, shown only to a viewer
who may see the company, and never served stale from the cache after a recompute."""

from __future__ import annotations

from insights.core.config import Settings
from insights.crm import models as m
from insights.health.recompute import recompute
from insights.insight.service import InsightService
from insights.permissions.viewer import load_viewer
from tests.health.helpers import MATE, NOW, REP, P, World, ago, crit

PROFILE = {
    "name": "Engagement",
    "criteria": [
        crit("meetings_last_n_days", [1], [0, 100], window_days=30, weight=3),
        crit("open_deals", [1], [0, 100], weight=1),
    ],
    "at_risk_below": 40,
    "good_from": 70,
}


async def _world(w: World) -> None:
    w.company("co", REP)
    w.deal("d1", "co")
    w.act("note", "deal:d1", ago(2))
    w.add(m.DealShare(portal_id=P, deal_id="d1", principal_type="user", principal_id=MATE))
    await w.save()
    await w.profile(**PROFILE)
    async with w.sm() as s:
        await recompute(s, P, NOW)
        await s.commit()


async def _risks(w: World, service: InsightService, user: str) -> list[dict[str, object]]:
    async with w.sm() as s:
        viewer = await load_viewer(s, P, user)
        assert viewer is not None
        insight = await service.insight_for(s, "d1", viewer, now=NOW)
        await s.commit()
    assert insight is not None
    return [r.model_dump() for r in insight.risks if r.kind == "company_at_risk"]


async def test_a_deal_of_an_at_risk_company_gets_the_risk_linked_to_its_criteria(
    w: World, settings: Settings
) -> None:
    await _world(w)
    (risk,) = await _risks(w, InsightService(settings), REP)
    assert risk["source"] == "rules" and risk["record"]["type"] == "company" and risk["record"]["id"] == "co"
    assert risk["criteria"] == [
        {"key": "meetings_last_n_days", "label": "Meetings in the last 30 days", "points": 0.0}
    ]
    assert "Co co is At risk" in risk["text"] and "25" in risk["text"]
    assert risk["activity_ids"] == []


async def test_a_viewer_who_may_not_see_the_company_gets_no_risk(w: World, settings: Settings) -> None:
    await _world(w)  # MATE sees the deal through a share, not REP's company
    assert await _risks(w, InsightService(settings), MATE) == []


async def test_a_recompute_that_lifts_the_company_moves_the_cached_insight(
    w: World, settings: Settings
) -> None:
    await _world(w)
    service = InsightService(settings)
    assert len(await _risks(w, service, REP)) == 1
    w.act("meeting", "company:co", ago(1))  # written directly: nothing but the recompute moves versions
    await w.save()
    async with w.sm() as s:
        await recompute(s, P, NOW)
        await s.commit()
    assert await _risks(w, service, REP) == []


async def test_a_profile_change_keys_the_cached_insights_of_its_deals_anew(
    w: World, settings: Settings
) -> None:
    from tests.health.helpers import ADMIN
    from tests.http import auth, client_for

    await _world(w)
    rep, admin = auth(settings, REP, P), auth(settings, ADMIN, P)
    async with client_for(settings) as c:
        await c.get("/v1/deals/d1/insights", headers=rep)
        assert (await c.get("/v1/deals/d1/insights", headers=rep)).json()["cached"] is True
        (profile,) = (await c.get("/v1/health/profiles", headers=admin)).json()["items"]
        url = f"/v1/health/profiles/{profile['id']}"
        renamed = await c.patch(url, json={"name": "Renamed"}, headers=admin)
        assert renamed.status_code == 200, renamed.text
        # no score moved, yet the risk's profile changed: the cached insight is not served again
        assert (await c.get("/v1/deals/d1/insights", headers=rep)).json()["cached"] is False
