"""Prompts never reach the logs (issue 10, item 8), whatever INSIGHTS_LOG_LEVEL says, unless the
documented opt-in INSIGHTS_LOG_PROMPTS=true."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import respx

from insights.insight.llm import quiet_prompt_loggers
from tests.http import ai_settings, auth, client_for
from tests.llm_fakes import URL, scripted

# The budget-cut email's canary (Ana sees it on deal 9001) and the fence around untrusted text.
PROMPT_MARKS = ("BUDGETCANARY", "<<<DATA")


@pytest.fixture
def model() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield router.post(URL)


@pytest.fixture
def restore_log_levels(settings) -> Iterator[None]:
    yield
    quiet_prompt_loggers(settings)  # the opt-in test must not leave litellm loud for later tests


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)


async def insight_at_debug(settings, model, caplog: pytest.LogCaptureFixture, **extra) -> str:
    model.side_effect = scripted()
    # generous timeouts: litellm at DEBUG is slow on a loaded machine, and these tests are about logs
    s = ai_settings(settings, log_level="DEBUG", model_timeout_s=15.0, model_total_budget_s=30.0, **extra)
    caplog.set_level(logging.DEBUG)  # the root logger: every logger that does not set its own level
    async with client_for(s) as c:
        r = await c.get("/v1/deals/9001/insights?refresh=true", headers=auth(s, "101"))
    assert r.status_code == 200 and r.json()["status"] == "ai"
    assert model.called and "BUDGETCANARY" in model.calls[0].request.content.decode()  # it was sent
    return logged(caplog)


async def test_debug_logging_writes_no_prompt(
    demo, settings, model, caplog, capfd, restore_log_levels
) -> None:
    text = await insight_at_debug(settings, model, caplog)
    assert caplog.records, "DEBUG records were captured"
    assert not [mark for mark in PROMPT_MARKS if mark in text]
    out, err = capfd.readouterr()  # litellm's own handler and its print() switch write to the fds
    assert not [mark for mark in PROMPT_MARKS if mark in out + err]


async def test_prompts_are_logged_only_with_the_opt_in(
    demo, settings, model, caplog, restore_log_levels
) -> None:
    text = await insight_at_debug(settings, model, caplog, log_prompts=True)
    assert "BUDGETCANARY" in text and "<<<DATA" in text
