"""Every status-code path of the API contract (spec/api.md), over HTTP against the real app."""

from __future__ import annotations

import json

import jwt

from insights.core.tokens import mint_token
from tests.http import auth, client_for


async def test_missing_bad_expired_and_foreign_tokens(demo, settings) -> None:
    async with client_for(settings) as c:
        assert (await c.get("/v1/deals")).status_code == 401
        assert (await c.get("/v1/deals", headers={"Authorization": "Bearer nonsense"})).status_code == 401
        expired = mint_token(settings, "101", "demo", ttl_s=-10)
        r = await c.get("/v1/deals", headers={"Authorization": f"Bearer {expired}"})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        forged = jwt.encode(
            {"sub": "101", "portal": "demo", "exp": 4102444800},
            "another-key-of-enough-length!!",
            algorithm="HS256",
        )
        assert (await c.get("/v1/deals", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
        # a valid token of another account: that account's users only, its deals are not ours
        clinic = auth(settings, "201", "demo-clinic")
        r = await c.get("/v1/deals/9001/insights", headers=clinic)
        assert r.status_code == 404
        assert (await c.get("/v1/deals/9001/insights", headers=auth(settings, "201"))).status_code == 401


async def test_not_permitted_is_the_same_404_as_missing(demo, settings) -> None:
    async with client_for(settings) as c:
        diego = auth(settings, "104")  # US rep: Ana's UK deal is not his
        hidden = await c.get("/v1/deals/9001/insights", headers=diego)
        missing = await c.get("/v1/deals/nope/insights", headers=diego)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert "9001" not in hidden.text


async def test_deals_lists_only_visible_ones_with_paging(demo, settings) -> None:
    async with client_for(settings) as c:
        ben = auth(settings, "102")
        first = (await c.get("/v1/deals?limit=3", headers=ben)).json()
        second = (await c.get(f"/v1/deals?limit=50&cursor={first['next_cursor']}", headers=ben)).json()
        ids = [d["id"] for d in first["items"] + second["items"]]
        assert "9008" in ids and "9004" not in ids and len(ids) == len(set(ids))
        assert set(first["items"][0]) >= {"id", "name", "stage", "amount", "close_date", "owner_id"}
        assert (await c.get("/v1/deals?cursor=%%%", headers=ben)).status_code == 422
        assert (await c.get("/v1/deals?limit=0", headers=ben)).status_code == 422


async def test_settings_are_for_super_admins_and_take_effect_next_request(demo, settings) -> None:
    async with client_for(settings) as c:
        ana, dana = auth(settings, "101"), auth(settings, "100")
        assert (await c.get("/v1/settings", headers=ana)).status_code == 403
        r = await c.patch("/v1/settings", headers=ana, json={"hipaa_sensitive_data": True})
        assert r.status_code == 403
        before = (await c.get("/v1/deals/9002/insights", headers=ana)).json()
        assert before["reason"] == "no_model_configured"
        r = await c.patch(
            "/v1/settings",
            headers=dana,
            json={"hipaa_sensitive_data": True, "risk_thresholds": {"inactive_days": 3}},
        )
        assert r.status_code == 200 and r.json()["risk_thresholds"]["inactive_days"] == 3
        after = (await c.get("/v1/deals/9002/insights", headers=ana)).json()
        assert after["reason"] == "hipaa" and not after["cached"]
        bad = await c.patch("/v1/settings", headers=dana, json={"insight_language": "klingon"})
        assert bad.status_code == 422 and "insight_language" in bad.json()["detail"]


async def test_import_endpoint_for_admins_and_integration_tokens(demo, settings) -> None:
    batch = {
        "notes": [
            {
                "id": "n-api",
                "properties": {
                    "hs_timestamp": "2026-11-19T10:00:00Z",
                    "hs_note_body": "Imported over the API",
                    "hubspot_owner_id": "102",
                },
                "associations": {"deals": {"results": [{"id": "9003"}]}},
            },
            {"id": "n-bad", "properties": {"hs_timestamp": "yesterday"}},
        ]
    }
    async with client_for(settings) as c:
        assert (await c.post("/v1/crm/import", headers=auth(settings, "101"), json=batch)).status_code == 403
        token = mint_token(settings, None, "demo", scope="import")
        r = await c.post(
            "/v1/crm/import?atomic=true", headers={"Authorization": f"Bearer {token}"}, json=batch
        )
        assert r.status_code == 200 and r.json()["aborted"] and r.json()["rejected"][0]["id"] == "n-bad"
        r = await c.post("/v1/crm/import", headers=auth(settings, "100"), json=batch)
        assert r.json()["created"] == {"note": 1}
        insight = (await c.get("/v1/deals/9003/insights", headers=auth(settings, "102"))).json()
        assert insight["recent_activity"]["items"][0]["activity_id"] == "n-api"
        r = await c.post("/v1/crm/import", headers=auth(settings, "100"), content=b"{not json")
        assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
        foreign = {"account": {"id": "demo-clinic"}, "notes": []}
        r = await c.post("/v1/crm/import", headers=auth(settings, "100"), json=foreign)
        assert r.status_code == 422


async def test_body_size_limit_and_refresh_rate_limit(demo, settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1000, "refresh_per_minute": 2})
    async with client_for(small) as c:
        dana = auth(small, "100")
        r = await c.post("/v1/crm/import", headers=dana, content=json.dumps({"notes": ["x" * 2000]}))
        assert r.status_code == 413
        codes = [
            (await c.get("/v1/deals/9001/insights?refresh=true", headers=dana)).status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        assert (
            await c.get("/v1/deals/9001/insights", headers=dana)
        ).status_code == 200  # cached reads still fine


async def test_errors_never_carry_internals(demo, settings) -> None:
    async with client_for(settings) as c:
        r = await c.post(
            "/v1/insights/whatever/feedback", headers=auth(settings, "101"), json={"rating": "meh"}
        )
    assert r.status_code == 422
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail"} and "rating" in body["detail"]
    assert "meh" not in r.text and "Traceback" not in r.text


async def test_metrics_and_docs(demo, settings) -> None:
    async with client_for(settings) as c:
        await c.get("/v1/deals/9001/insights", headers=auth(settings, "101"))
        metrics = (await c.get("/metrics")).text
        assert "insights_http_requests_total" in metrics and "insights_built_total" in metrics
        assert (await c.get("/docs")).status_code == 200
        assert "/v1/deals/{deal_id}/insights" in (await c.get("/openapi.json")).text
