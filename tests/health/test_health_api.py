"""The health API over HTTP (the real app): summary, records, alerts, feedback, profiles, 422s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from insights.core.config import Settings
from tests.health.helpers import ADMIN, NOW, OUTSIDER, REP, P, World, ago, crit
from tests.http import auth, client_for

PROFILE: dict[str, Any] = {
    "name": "Engagement",
    "criteria": [crit("meetings_last_n_days", [1], [0, 100], window_days=30)],
    "at_risk_below": 40,
    "good_from": 70,
}


async def _world(w: World) -> None:
    w.company("r1", REP, renewal="2027-01-15")
    w.company("r2", REP)
    w.company("o1", OUTSIDER)
    w.act("meeting", "company:r1", ago(3))
    w.act("meeting", "company:o1", ago(3))
    await w.save()


async def test_profiles_summary_records_and_view_as(w: World, settings: Settings) -> None:
    await _world(w)
    admin, rep = auth(settings, ADMIN, P), auth(settings, REP, P)
    async with client_for(settings) as c:
        assert (await c.post("/v1/health/profiles", json=PROFILE, headers=rep)).status_code == 403
        created = await c.post("/v1/health/profiles", json=PROFILE, headers=admin)
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        listed = (await c.get("/v1/health/profiles", headers=admin)).json()["items"]
        assert [p["id"] for p in listed] == [pid]

        mine = (await c.get("/v1/health/summary", headers=rep)).json()
        assert mine["records"] == 2
        assert {x["category"]: x["percent"] for x in mine["categories"]} == {
            "at_risk": 50.0,
            "neutral": 0.0,
            "good": 50.0,
        }
        assert mine["over_time"] == [
            {
                "day": NOW.date().isoformat(),
                "average": 50.0,
                "counts": {"at_risk": 1, "neutral": 0, "good": 1},
            }
        ]
        everything = (await c.get("/v1/health/summary", headers=admin)).json()
        as_rep = (await c.get(f"/v1/health/summary?user_id={REP}", headers=admin)).json()
        assert everything["records"] == 3 and as_rep == mine
        assert (await c.get(f"/v1/health/summary?user_id={ADMIN}", headers=rep)).status_code == 403

        page = (await c.get("/v1/health/records?category=good", headers=rep)).json()
        assert [r["id"] for r in page["items"]] == ["r1"]
        detail = (await c.get("/v1/health/records/r1", headers=rep)).json()
        assert detail["criteria"][0]["points"] == 100 and detail["history"][0]["score"] == 100
        hidden = await c.get("/v1/health/records/o1", headers=rep)
        missing = await c.get("/v1/health/records/nope", headers=rep)
        assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()

        patched = await c.patch(f"/v1/health/profiles/{pid}", json={"good_from": 90}, headers=admin)
        assert patched.status_code == 200 and patched.json()["version"] == 2


async def test_alerts_and_feedback_over_http(w: World, settings: Settings) -> None:
    w.company("r1", REP)
    w.act("meeting", "company:r1", ago(29.5))
    await w.save()
    admin, rep, other = auth(settings, ADMIN, P), auth(settings, REP, P), auth(settings, OUTSIDER, P)
    async with client_for(settings) as c:
        assert (await c.post("/v1/health/profiles", json=PROFILE, headers=admin)).status_code == 201
        c._transport.app.state.insights.clock = lambda: NOW + timedelta(days=1)  # type: ignore[attr-defined]
        items = (await c.get("/v1/health/alerts", headers=rep)).json()["items"]
        assert [(a["kind"], a["from_category"], a["to_category"]) for a in items] == [
            ("category_change", "good", "at_risk")
        ]
        assert items[0]["criteria"][0]["label"] == "Meetings in the last 30 days"
        aid = items[0]["alert_id"]
        assert (await c.get("/v1/health/alerts", headers=other)).json()["items"] == []
        nope = await c.post(f"/v1/health/alerts/{aid}/feedback", json={"rating": "useful"}, headers=other)
        assert nope.status_code == 404
        ok = await c.post(f"/v1/health/alerts/{aid}/feedback", json={"rating": "useful"}, headers=rep)
        assert ok.status_code == 201 and ok.json()["rating"] == "useful"
        bad = await c.post(f"/v1/health/alerts/{aid}/feedback", json={"rating": "meh"}, headers=rep)
        assert bad.status_code == 422


async def test_bad_profiles_get_a_422_problem_naming_the_field(w: World, settings: Settings) -> None:
    w.company("r1", REP, renewal="2027-01-15")
    w.company("r2", REP, renewal="soon")
    await w.save()
    admin = auth(settings, ADMIN, P)
    renewal = [crit("days_until_renewal", [30], [0, 100])]
    cases = [
        ({**PROFILE, "criteria": [PROFILE["criteria"][0] | {"weight": 0}]}, "criteria"),
        ({**PROFILE, "criteria": [crit("open_deals", [3, 1], [0, 50, 100])]}, "criteria.0"),
        ({**PROFILE, "at_risk_below": 80, "good_from": 70}, "good_from"),
        ({**PROFILE, "criteria": renewal, "renewal_property": "missing_prop"}, "renewal_property"),
        ({**PROFILE, "criteria": renewal, "renewal_property": "renewal"}, "renewal_property"),
        ({**PROFILE, "criteria": renewal}, "renewal_property"),
    ]
    async with client_for(settings) as c:
        for body, field in cases:
            r = await c.post("/v1/health/profiles", json=body, headers=admin)
            assert r.status_code == 422, (body, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert field in [e["field"] for e in r.json()["errors"]], r.json()
            assert "soon" not in r.text
        created = (await c.post("/v1/health/profiles", json=PROFILE, headers=admin)).json()
        r = await c.patch(f"/v1/health/profiles/{created['id']}", json={"at_risk_below": 95}, headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "good_from"
        assert (await c.get("/v1/health/summary?profile=nope", headers=admin)).status_code == 404
        assert (await c.get("/v1/health/records?category=bad", headers=admin)).status_code == 422
