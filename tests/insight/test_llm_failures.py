"""How the model door fails (issue 11): a provider's failure degrades the insight with a logged
reason, a refusal no retry can fix is logged at ERROR, and a bug of ours propagates. The model is
respx on litellm's real HTTP path; nothing of ours is patched."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import respx
from pydantic import BaseModel, model_validator

from insights.core.config import Settings
from insights.insight.llm import LLM, ModelUnavailable
from tests.http import ai_settings, auth, client_for
from tests.llm_fakes import URL, completion

CANARY = "CRMCANARY-7731"  # stands for CRM text: it must never reach a log line
MESSAGES = [
    {"role": "system", "content": "You are a sales analyst. " * 12},  # longer than a logged detail
    {"role": "user", "content": f"deal notes: {CANARY}\n---\nTask: answer"},
]


class Answer(BaseModel):
    summary: str


class BuggyAnswer(BaseModel):
    """A schema whose own validation has a bug (a KeyError, as a wrong dict lookup would raise)."""

    summary: str

    @model_validator(mode="after")
    def _lookup(self) -> BuggyAnswer:
        raise KeyError("no-such-key")


@pytest.fixture
def model() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.post(URL)


@pytest.fixture
def llm(settings: Settings) -> LLM:
    LLM.warm_up()  # litellm's first import takes seconds: not inside the call's time budget
    # a budget no test reaches: these tests are about which failure, not about time
    return LLM(ai_settings(settings, model_max_retries=2, model_total_budget_s=30.0))


def llm_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "insights.insight.llm"]


def all_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)


async def test_a_401_is_misconfigured_logged_at_error_and_not_retried(llm, model, caplog) -> None:
    model.side_effect = lambda request: httpx.Response(
        401, json={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    )
    caplog.set_level(logging.INFO)
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert raised.value.reason == "model_misconfigured"
    assert model.call_count == 1  # no retry can fix a bad key
    errors = [r for r in llm_records(caplog) if r.levelno == logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "AuthenticationError" in line and "Incorrect API key provided" in line
    assert CANARY not in all_logged(caplog)


async def test_a_401_degrades_the_insight_to_data_only_never_a_5xx(demo, settings, model, caplog) -> None:
    model.side_effect = lambda request: httpx.Response(401, json={"error": {"message": "bad key"}})
    s = ai_settings(settings, model_call_mode="combined")
    caplog.set_level(logging.INFO)
    async with client_for(s) as c:
        r = await c.get("/v1/deals/9001/insights", headers=auth(s, "101"))
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "data_only" and body["reason"] == "model_unavailable"
    assert body["recent_activity"]["items"]  # the data part still shows
    assert any(
        r.levelno == logging.ERROR and "model_misconfigured" in r.getMessage() for r in llm_records(caplog)
    )


async def test_an_unknown_model_404_is_misconfigured(llm, model) -> None:
    model.side_effect = lambda request: httpx.Response(404, json={"error": {"message": "no such model"}})
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert raised.value.reason == "model_misconfigured" and model.call_count == 1


async def test_an_echoed_request_body_logs_no_crm_text(llm, model, caplog) -> None:
    """Some servers answer a 422 with the request they got; the logged detail stops before our text."""
    model.side_effect = lambda request: httpx.Response(
        422, json={"error": {"message": request.content.decode()}}
    )
    caplog.set_level(logging.DEBUG, logger="insights.insight.llm")
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert raised.value.reason == "model_misconfigured"
    assert llm_records(caplog) and CANARY not in all_logged(caplog)


async def test_503s_past_the_retries_are_unavailable_at_warning(llm, model, caplog) -> None:
    model.side_effect = lambda request: httpx.Response(503, json={"error": {"message": "overloaded"}})
    caplog.set_level(logging.INFO)
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert raised.value.reason == "unavailable"
    assert model.call_count == 3  # the first call and model_max_retries=2 more
    failed = [r for r in llm_records(caplog) if "model call failed" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.WARNING]
    assert "overloaded" in failed[0].getMessage()


async def test_malformed_twice_is_its_own_reason(llm, model) -> None:
    model.side_effect = lambda request: httpx.Response(200, json=completion("not json"))
    with pytest.raises(ModelUnavailable) as raised:
        await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert raised.value.reason == "malformed" and model.call_count == 2


async def test_a_bug_in_our_own_parsing_propagates(llm, model) -> None:
    model.side_effect = lambda request: httpx.Response(200, json=completion(json.dumps({"summary": "fine"})))
    with pytest.raises(KeyError, match="no-such-key"):
        await llm.complete_json(MESSAGES, BuggyAnswer, max_tokens=200)
    assert model.call_count == 1  # not retried as if the model had failed


async def test_a_good_answer_still_parses(llm, model) -> None:
    model.side_effect = lambda request: httpx.Response(200, json=completion(json.dumps({"summary": "ok"})))
    answer, usage = await llm.complete_json(MESSAGES, Answer, max_tokens=200)
    assert answer.summary == "ok" and usage.calls == 1 and usage.input_tokens == 1000
