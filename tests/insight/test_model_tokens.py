"""The budget in the model's own tokens (issue 16): the packed prompt plus the answer's max_tokens
never exceeds the window as the model counts it, through the real pipeline over HTTP. The model and
its tokenizer endpoint (llama-cpp-python's /extras/tokenize/count) are respx on the real path."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import httpx
import pytest
import respx

from insights.core import metrics
from insights.insight.budget import ACTIVITY_BLOCK, count_tokens
from insights.insight.tokens import MESSAGE_OVERHEAD, SAFETY_MARGIN
from tests.http import ai_settings, auth, client_for
from tests.llm_fakes import URL, scripted

LOCAL_BASE = "http://127.0.0.1:8598/v1"
WINDOW = 3000


def model_count(text: str) -> int:
    """The fake server's tokenizer: one token per two characters, about twice tiktoken's count
    for this English text (a small model's vocabulary splits words more finely)."""
    return math.ceil(len(text) / 2)


def prompt(call: respx.models.Call) -> tuple[str, int, int]:
    body = json.loads(call.request.content)
    contents = [m["content"] for m in body["messages"]]
    return "\n".join(contents), len(contents), body["max_tokens"]


@pytest.fixture
def local() -> Iterator[tuple[respx.Route, respx.Route]]:
    with respx.mock(assert_all_called=False) as router:
        chat = router.post(f"{LOCAL_BASE}/chat/completions").mock(side_effect=scripted())
        count = router.post("http://127.0.0.1:8598/extras/tokenize/count").mock(
            side_effect=lambda r: httpx.Response(
                200, json={"count": model_count(json.loads(r.content)["input"])}
            )
        )
        yield chat, count


def local_settings(settings, **extra):
    local = {
        "model": "openai/smollm2",
        "model_api_base": LOCAL_BASE,
        "model_context_tokens": WINDOW,
        "model_timeout_s": 5.0,
        "model_total_budget_s": 10.0,
    }
    return ai_settings(settings, **{**local, **extra})


@pytest.mark.parametrize("call_mode", ["combined", "sections"])
async def test_prompt_and_answer_fit_the_window_in_the_servers_tokens(
    demo, settings, local, call_mode
) -> None:
    chat, count = local
    s = local_settings(settings, model_call_mode=call_mode)
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))).json()
    assert count.call_count >= 2  # the deal's ratio measured, then the packed prompt counted
    assert chat.call_count == (1 if call_mode == "combined" else 3)
    for call in chat.calls:
        text, messages, max_tokens = prompt(call)
        assert model_count(text) + MESSAGE_OVERHEAD * messages + max_tokens <= WINDOW
        assert ACTIVITY_BLOCK.search(text)  # activities were still sent
    assert body["status"] == "ai" and body["basis"]["truncated"]
    # the same prompt counted by tiktoken looks far smaller: packing by tiktoken alone would overflow
    text, _, max_tokens = prompt(chat.calls[0])
    assert count_tokens(text) < 0.7 * model_count(text)


async def test_without_a_tokenizer_the_margin_keeps_the_prompt_inside(demo, settings) -> None:
    with respx.mock(assert_all_called=False) as router:
        chat = router.post(URL).mock(side_effect=scripted())
        s = ai_settings(settings, model="openai/unmapped-model", model_context_tokens=WINDOW)
        async with client_for(s) as c:
            body = (await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))).json()
    assert body["status"] == "ai"
    for call in chat.calls:
        text, messages, max_tokens = prompt(call)
        assert (
            math.ceil(count_tokens(text) * SAFETY_MARGIN) + MESSAGE_OVERHEAD * messages + max_tokens <= WINDOW
        )


async def test_a_server_that_cannot_count_falls_back_to_the_margin(demo, settings) -> None:
    with respx.mock(assert_all_called=False) as router:
        chat = router.post(f"{LOCAL_BASE}/chat/completions").mock(side_effect=scripted())
        router.post("http://127.0.0.1:8598/extras/tokenize/count").mock(return_value=httpx.Response(404))
        s = local_settings(settings)
        async with client_for(s) as c:
            body = (await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))).json()
    assert body["status"] == "ai" and chat.call_count == 1
    text, messages, max_tokens = prompt(chat.calls[0])
    assert math.ceil(count_tokens(text) * SAFETY_MARGIN) + MESSAGE_OVERHEAD * messages + max_tokens <= WINDOW


async def test_a_window_with_no_room_for_the_answer_sends_nothing(demo, settings, local) -> None:
    chat, _ = local
    s = local_settings(settings, model_context_tokens=1300)  # the combined answer alone needs 1200
    async with client_for(s) as c:
        body = (await c.get("/v1/deals/9005/insights", headers=auth(s, "101"))).json()
    assert chat.call_count == 0
    assert body["status"] == "data_only" and body["reason"] == "model_unavailable"
    assert body["recent_activity"]["items"]


async def test_dropped_statements_are_counted_by_reason_in_metrics(demo, settings) -> None:
    before = metrics.DROPPED.labels("unknown_id")._value.get()
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=scripted(cite=lambda ids: ["e-invented"]))
        s = ai_settings(settings, model_call_mode="combined")
        async with client_for(s) as c:
            body = (await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))).json()
            page = (await c.get("/metrics")).text
    assert body["status"] == "data_only" and body["reason"] == "no_valid_statements"
    assert body["model"]["dropped_reasons"] == {"unknown_id": 3}
    assert metrics.DROPPED.labels("unknown_id")._value.get() == before + 3
    assert 'insights_dropped_statements_total{reason="unknown_id"}' in page
