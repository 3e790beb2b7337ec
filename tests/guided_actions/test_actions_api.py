"""Guided actions over HTTP: the viewer's own actions, categories, super-admin view, feedback."""

from __future__ import annotations

from tests.http import auth, client_for


async def test_list_filter_impersonate_and_feedback(demo, settings) -> None:
    async with client_for(settings) as c:
        ana, ben, dana = auth(settings, "101"), auth(settings, "102"), auth(settings, "100")
        items = (await c.get("/v1/guided-actions", headers=ana)).json()["items"]
        assert items and {"action_id", "rule", "title", "category", "created_at", "records", "why"} <= set(
            items[0]
        )
        closing = (await c.get("/v1/guided-actions?category=closing", headers=ana)).json()["items"]
        prospecting = (await c.get("/v1/guided-actions?category=prospecting", headers=ana)).json()["items"]
        assert {i["category"] for i in closing} == {"closing"} and {i["category"] for i in prospecting} == {
            "prospecting"
        }
        assert len(closing) + len(prospecting) == len(items)
        assert all(
            r["id"] != "c-93" for i in items for r in i["records"]
        )  # Chloe's contact: not Ana's to see
        assert (await c.get("/v1/guided-actions?category=bogus", headers=ana)).status_code == 422

        assert (await c.get("/v1/guided-actions?user_id=101", headers=ben)).status_code == 403
        as_ana = (await c.get("/v1/guided-actions?user_id=101", headers=dana)).json()["items"]
        assert sorted(i["action_id"] for i in as_ana) == sorted(i["action_id"] for i in items)

        action = items[0]["action_id"]
        r = await c.post(
            f"/v1/guided-actions/{action}/feedback", headers=ana, json={"rating": "yes_keep_it_up"}
        )
        assert r.status_code == 201 and r.json()["rating"] == "yes_keep_it_up"
        assert (
            await c.post(f"/v1/guided-actions/{action}/feedback", headers=ben, json={"rating": "not_really"})
        ).status_code == 404
        r = await c.post(
            f"/v1/guided-actions/{action}/feedback",
            headers=ana,
            json={"rating": "not_really", "comment": "x" * 2001},
        )
        assert r.status_code == 422
