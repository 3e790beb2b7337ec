"""Settings that are modes fail at start on a value they do not know (issue 11), never silently
replaced by a default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from insights.core.config import Settings
from insights.insight.service import InsightService


def test_an_unknown_call_mode_is_a_settings_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHTS_MODEL_CALL_MODE", "parallel")
    with pytest.raises(ValidationError, match="INSIGHTS_MODEL_CALL_MODE"):
        Settings(INSIGHTS_ENV="development")


@pytest.mark.parametrize("mode", ["combined", "sections"])
def test_each_known_call_mode_reaches_the_service(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("INSIGHTS_MODEL_CALL_MODE", mode)
    settings = Settings(INSIGHTS_ENV="development")
    assert settings.model_call_mode == mode
    assert InsightService(settings).mode == mode


def test_the_default_call_mode_is_combined(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSIGHTS_MODEL_CALL_MODE", raising=False)
    assert Settings(INSIGHTS_ENV="development").model_call_mode == "combined"
