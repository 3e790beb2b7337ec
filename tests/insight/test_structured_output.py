"""A real model in the loop (issue 16), on litellm's real HTTP path with respx as the provider:
the answer's JSON schema goes out in each provider's own form, every call carries max_tokens, a
timeout against a local server is not retried, and a rejected form falls back instead of retrying."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from insights.core.config import Settings
from insights.insight.answers import ANSWER_TOKENS, CombinedAnswer, RecentAnswer
from insights.insight.llm import LLM, ModelUnavailable
from tests.http import ai_settings, auth, client_for
from tests.llm_fakes import URL, completion, scripted

LOCAL_BASE = "http://127.0.0.1:8599/v1"  # a llama.cpp-style server on loopback (respx answers it)
MESSAGES = [{"role": "user", "content": "deal\n---\nTask: summarise"}]
OK = json.dumps({"summary": "fine", "activity_ids": ["e-1"]})
COMBINED_OK = json.dumps({"recent_activity": {"summary": "fine", "activity_ids": ["e-1"]}})


def sent(route: respx.Route, i: int = -1) -> dict:
    return json.loads(route.calls[i].request.content)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as r:
        yield r


def door(settings: Settings, **extra) -> LLM:
    LLM.warm_up()
    return LLM(ai_settings(settings, **{"model_total_budget_s": 10.0, "model_timeout_s": 5.0, **extra}))


async def test_auto_sends_json_schema_where_litellm_says_the_model_supports_it(settings, router) -> None:
    route = router.post(URL).mock(return_value=httpx.Response(200, json=completion(OK)))
    await door(settings).complete_json(MESSAGES, RecentAnswer, max_tokens=300)
    fmt = sent(route)["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "RecentAnswer"
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"summary", "activity_ids"}


async def test_auto_sends_json_object_with_schema_to_a_local_server(settings, router) -> None:
    route = router.post(f"{LOCAL_BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=completion(COMBINED_OK))
    )
    llm = door(settings, model="openai/smollm2", model_api_base=LOCAL_BASE)
    await llm.complete_json(MESSAGES, CombinedAnswer, max_tokens=1200)
    fmt = sent(route)["response_format"]
    assert fmt["type"] == "json_object"
    schema = fmt["schema"]
    assert "$defs" not in json.dumps(schema)  # self-contained: references inlined for the grammar
    assert schema["properties"]["recent_activity"]["properties"]["summary"]["type"] == "string"


async def test_auto_sends_plain_json_object_to_an_unknown_remote_model(settings, router) -> None:
    route = router.post(URL).mock(return_value=httpx.Response(200, json=completion(OK)))
    await door(settings, model="openai/some-unmapped-model").complete_json(
        MESSAGES, RecentAnswer, max_tokens=9
    )
    assert sent(route)["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("json_schema", "json_schema"), ("json_object_schema", "json_object"), ("json_object", "json_object")],
)
async def test_the_setting_picks_the_form(settings, router, mode, expected) -> None:
    route = router.post(f"{LOCAL_BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=completion(OK))
    )
    llm = door(settings, model="openai/x", model_api_base=LOCAL_BASE, model_schema_mode=mode)
    await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    fmt = sent(route)["response_format"]
    assert fmt["type"] == expected and (("schema" in fmt) == (mode == "json_object_schema"))


async def test_a_500_rejecting_json_schema_falls_back_at_once_and_is_remembered(settings, router) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["response_format"]["type"] == "json_schema":
            return httpx.Response(500, json={"error": {"message": "Unsupported response_format json_schema"}})
        return httpx.Response(200, json=completion(OK))

    route = router.post(f"{LOCAL_BASE}/chat/completions").mock(side_effect=server)
    llm = door(settings, model="openai/x", model_api_base=LOCAL_BASE, model_schema_mode="json_schema")
    llm.settings.model_max_retries = 3
    answer, _ = await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert answer.summary == "fine"
    assert route.call_count == 2  # not retried as transient: asked once in the next form
    assert (
        sent(route, 1)["response_format"]["type"] == "json_object"
        and "schema" in sent(route, 1)["response_format"]
    )
    await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert route.call_count == 3 and sent(route)["response_format"]["type"] == "json_object"


async def test_a_plain_500_is_still_transient(settings, router) -> None:
    route = router.post(URL).mock(return_value=httpx.Response(500, json={"error": {"message": "boom"}}))
    llm = door(settings, model="openai/some-unmapped-model", model_max_retries=2)
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert raised.value.reason == "unavailable" and route.call_count == 3


async def test_a_timeout_against_a_local_server_is_not_retried(settings, router) -> None:
    route = router.post(f"{LOCAL_BASE}/chat/completions").mock(side_effect=httpx.ReadTimeout("slow"))
    llm = door(settings, model="openai/x", model_api_base=LOCAL_BASE, model_max_retries=5)
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert raised.value.reason == "unavailable"
    assert route.call_count == 1  # a retry would queue behind the generation the server still runs


async def test_a_remote_timeout_is_retried_only_while_a_whole_call_fits(settings, router) -> None:
    route = router.post(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    # 10 s of budget, 5 s calls, timeouts that come at once: every retry still has a whole call's time
    llm = door(settings, model_max_retries=2)
    with pytest.raises(ModelUnavailable):
        await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert route.call_count == 3
    tight = door(settings, model_max_retries=2, model_total_budget_s=4.0)  # less than one 5 s call
    route.reset()
    with pytest.raises(ModelUnavailable):
        await tight.complete_json(MESSAGES, RecentAnswer, max_tokens=50)
    assert route.call_count == 1


@pytest.mark.parametrize("call_mode", ["combined", "sections"])
async def test_every_call_of_an_insight_carries_max_tokens(demo, settings, router, call_mode) -> None:
    route = router.post(URL).mock(side_effect=scripted())
    s = ai_settings(settings, model_call_mode=call_mode, model_max_output_tokens=400)
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))).json()
    assert body["status"] == "ai"
    assert route.call_count == (1 if call_mode == "combined" else 3)
    limits = [json.loads(call.request.content).get("max_tokens") for call in route.calls]
    caps = {min(400, n) for n in ANSWER_TOKENS.values()}
    assert all(isinstance(n, int) and n in caps for n in limits), limits


async def test_an_answer_cut_at_max_tokens_by_a_local_model_is_not_asked_again(settings, router) -> None:
    cut = completion('{"summary": "a very long')
    cut["choices"][0]["finish_reason"] = "length"
    route = router.post(f"{LOCAL_BASE}/chat/completions").mock(return_value=httpx.Response(200, json=cut))
    llm = door(settings, model="openai/x", model_api_base=LOCAL_BASE)
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, RecentAnswer, max_tokens=8)
    assert raised.value.reason == "malformed"
    assert route.call_count == 1  # the same prompt at temperature 0 would be cut at the same place
