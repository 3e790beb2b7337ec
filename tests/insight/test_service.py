"""The insight pipeline over HTTP: real app, real database, real litellm, a scripted model (respx)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.insight.prompts import PROMPT_VERSION
from tests.http import ai_settings, auth, client_for
from tests.llm_fakes import URL, completion, prompt_of, scripted


@pytest.fixture
def model() -> AsyncIterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.post(URL)


async def test_full_insight_from_the_model(demo, settings, model) -> None:
    model.side_effect = scripted()
    s = ai_settings(settings, model_call_mode="sections")
    async with client_for(s) as c:
        r = await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ai" and body["reason"] is None
    assert body["recent_activity"]["summary"]
    assert len(body["recent_activity"]["items"]) == 5
    assert {x["source"] for x in body["risks"]} >= {"model"}
    assert body["buyer_goals"][0]["activity_ids"]
    assert body["model"]["input_tokens"] == 3000 and body["model"]["prompt_version"] == PROMPT_VERSION
    assert model.call_count == 3  # one call per section, run concurrently


async def test_rep_b_prompt_never_contains_the_budget_cut_email(demo, settings, model) -> None:
    model.side_effect = scripted()
    s = ai_settings(settings)
    async with client_for(s) as c:
        ana = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
        ana_prompts = [prompt_of(call.request) for call in model.calls]
        ben = (await c.get("/v1/deals/9001/insights", headers=auth(s, "102"))).json()
        ben_prompts = [prompt_of(call.request) for call in model.calls][len(ana_prompts) :]
    assert any("e-budget" in p and "BUDGETCANARY" in p for p in ana_prompts)
    assert ben_prompts and all(
        "e-budget" not in p and "Budget cut for next year" not in p and "BUDGETCANARY" not in p
        for p in ben_prompts
    )
    assert "e-budget" not in json.dumps(ben)
    assert ben["insight_id"] != ana["insight_id"]
    assert ben["basis"]["activity_count"] == ana["basis"]["activity_count"] - 1


async def test_untrusted_text_is_fenced_in_the_prompt(demo, settings, model) -> None:
    model.side_effect = scripted()
    s = ai_settings(settings)
    async with client_for(s) as c:
        await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))
    prompt = prompt_of(model.calls[0].request)
    injected = prompt.index("Ignore previous instructions")
    assert prompt.rfind("<<<DATA", 0, injected) > prompt.rfind("DATA>>>", 0, injected)


async def test_hipaa_mode_sends_nothing_to_any_model(demo, settings, model) -> None:
    model.side_effect = scripted()
    s = ai_settings(settings)
    async with client_for(s) as c:
        r = await c.get("/v1/deals/demo-clinic-1/insights", headers=auth(s, "202", "demo-clinic"))
    body = r.json()
    assert r.status_code == 200 and body["status"] == "data_only" and body["reason"] == "hipaa"
    assert model.call_count == 0
    assert [i["activity_id"] for i in body["recent_activity"]["items"]] == [
        "demo-clinic-c1",
        "demo-clinic-m1",
    ]
    assert body["recent_activity"]["summary"] is None and body["buyer_goals"] == []
    assert {r["kind"] for r in body["risks"]} >= {"close_date_passed", "meeting_no_show"}
    assert all(r["source"] == "rules" for r in body["risks"])


async def test_customer_analysis_off_says_disabled(demo, settings, model) -> None:
    s = ai_settings(settings)
    async with client_for(s) as c:
        r = await c.get("/v1/deals/demo-off-1/insights", headers=auth(s, "302", "demo-off"))
    assert r.status_code == 200
    assert r.json()["status"] == "disabled" and r.json()["reason"] == "customer_analysis_off"
    assert model.call_count == 0


async def test_no_model_configured_is_data_only(demo, settings) -> None:
    async with client_for(settings) as c:
        body = (await c.get("/v1/deals/9002/insights", headers=auth(settings, "101"))).json()
    assert body["status"] == "data_only" and body["reason"] == "no_model_configured"
    kinds = {r["kind"] for r in body["risks"]}
    assert {"deal_score_drop", "close_date_pushed"} <= kinds
    drop = next(r for r in body["risks"] if r["kind"] == "deal_score_drop")
    assert "72" in drop["text"] and "55" in drop["text"]


async def test_rate_limit_then_success_retries_once(demo, settings, model) -> None:
    answers = iter(
        [lambda request: httpx.Response(429, json={"error": {"message": "slow down"}}), scripted()]
    )
    model.side_effect = lambda request: next(answers)(request)
    s = ai_settings(settings, model_call_mode="combined")
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
    assert model.call_count == 2
    assert body["status"] == "ai"


async def test_timeouts_until_the_budget_runs_out_degrade_in_bounded_time(demo, settings, model) -> None:
    model.side_effect = httpx.ReadTimeout("too slow")
    # 3 s: room for a retry after a first call slowed by a loaded CI machine, still well under 6 s
    s = ai_settings(settings, model_total_budget_s=3.0, model_max_retries=10)
    async with client_for(s) as c:
        started = time.perf_counter()  # the request alone, not the app's start-up
        r = await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))
        elapsed = time.perf_counter() - started
    assert r.status_code == 200
    assert r.json()["status"] == "data_only" and r.json()["reason"] == "model_unavailable"
    assert r.json()["recent_activity"]["items"]  # still useful
    assert elapsed < 6
    assert model.call_count >= 2  # retried until the budget ran out


async def test_malformed_json_twice_falls_back_to_data_only(demo, settings, model) -> None:
    model.side_effect = lambda request: httpx.Response(200, json=completion("this is not json"))
    s = ai_settings(settings, model_call_mode="combined")
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
    assert model.call_count == 2
    assert body["status"] == "data_only" and body["reason"] == "model_unavailable"


async def test_a_hallucinated_activity_id_drops_that_statement(demo, settings, model) -> None:
    model.side_effect = scripted(cite=lambda ids: ["e-does-not-exist"])
    s = ai_settings(settings, model_call_mode="combined")
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9001/insights", headers=auth(s, "102"))).json()
    assert body["model"]["dropped_statements"] == 3
    assert body["model"]["dropped_reasons"] == {"unknown_id": 3}
    assert body["recent_activity"]["summary"] is None and body["buyer_goals"] == []
    assert all(r["source"] == "rules" for r in body["risks"])
    # every model statement dropped: not an AI insight, whatever the model answered
    assert body["status"] == "data_only" and body["reason"] == "no_valid_statements"


async def test_citing_a_hidden_activity_is_dropped_too(demo, settings, model) -> None:
    model.side_effect = scripted(cite=lambda ids: [ids[0], "e-budget"])  # Ben may not see e-budget
    s = ai_settings(settings, model_call_mode="combined")
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9001/insights", headers=auth(s, "102"))).json()
    assert body["model"]["dropped_statements"] == 3 and "e-budget" not in json.dumps(body)


async def test_cache_hit_then_rebuild_on_new_activity_and_never_shared(
    demo, settings, model, sessionmaker
) -> None:
    model.side_effect = scripted()
    s = ai_settings(settings, model_call_mode="sections")
    async with client_for(s) as c:
        first = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
        calls = model.call_count
        second = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
        assert model.call_count == calls and second["cached"] and second["insight_id"] == first["insight_id"]

        ben = (await c.get("/v1/deals/9001/insights", headers=auth(s, "102"))).json()
        assert ben["insight_id"] != first["insight_id"] and not ben["cached"]

        async with sessionmaker() as session:  # a new note on the deal's contact
            await import_records(
                session,
                iter_document(
                    {
                        "notes": [
                            {
                                "id": "n-new",
                                "properties": {
                                    "hs_timestamp": "2026-11-20T08:00:00Z",
                                    "hubspot_owner_id": "101",
                                    "hs_note_body": "Signed!",
                                },
                                "associations": {"contacts": {"results": [{"id": "c-51"}]}},
                            }
                        ]
                    }
                ),
                account_id="demo",
            )
            await session.commit()
        calls = model.call_count
        third = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
    assert model.call_count == calls + 3 and not third["cached"]
    assert third["basis"]["activity_count"] == first["basis"]["activity_count"] + 1


async def test_copy_and_feedback(demo, settings, sessionmaker) -> None:
    async with client_for(settings) as c:
        ana = auth(settings, "101")
        insight = (await c.get("/v1/deals/9002/insights", headers=ana)).json()
        text = await c.get("/v1/deals/9002/insights/copy?format=markdown", headers=ana)
        assert text.status_code == 200 and "## Risks" in text.text and "Deal score fell" in text.text
        fb = await c.post(
            f"/v1/insights/{insight['insight_id']}/feedback",
            headers=ana,
            json={"rating": "not_helpful", "reason": "missing_information", "comment": "No goals"},
        )
        assert fb.status_code == 201 and fb.json()["comment"] == "No goals"
        other = await c.post(
            f"/v1/insights/{insight['insight_id']}/feedback",
            headers=auth(settings, "104"),
            json={"rating": "helpful"},
        )
        assert other.status_code == 404
        too_long = await c.post(
            f"/v1/insights/{insight['insight_id']}/feedback",
            headers=ana,
            json={"rating": "helpful", "comment": "x" * 2001},
        )
        assert too_long.status_code == 422 and "comment" in too_long.json()["detail"]
        assert too_long.headers["content-type"].startswith("application/problem+json")
