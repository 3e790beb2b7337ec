"""The context size the budget packs for: the setting, else litellm's model info, else 8k with a
warning that names the setting (issue 11: a fallback is said out loud, once per model)."""

from __future__ import annotations

import logging

import pytest

from insights.insight.budget import DEFAULT_WINDOW, _known_window, context_window


@pytest.fixture(autouse=True)
def fresh_lookup() -> None:
    _known_window.cache_clear()


def test_the_setting_wins_over_the_model_info() -> None:
    assert context_window("openai/gpt-4o-mini", override=4000) == 4000


def test_a_known_model_uses_litellm_model_info() -> None:
    assert context_window("openai/gpt-4o-mini") == 128000


def test_an_unknown_model_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="insights.insight.budget")
    assert context_window("no-such-provider-model-x1") == DEFAULT_WINDOW
    assert context_window("no-such-provider-model-x1") == DEFAULT_WINDOW
    warnings = [r.getMessage() for r in caplog.records if r.name == "insights.insight.budget"]
    assert len(warnings) == 1
    assert "no-such-provider-model-x1" in warnings[0] and "INSIGHTS_MODEL_CONTEXT_TOKENS" in warnings[0]


def test_no_model_is_the_default_window() -> None:
    assert context_window(None) == DEFAULT_WINDOW
