"""The hypothesis profiles: CI runs every test's full example count, local runs a share of it."""

from __future__ import annotations

import pytest
from hypothesis import settings

from tests import hypothesis_profiles
from tests.hypothesis_profiles import examples


def test_ci_runs_the_full_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hypothesis_profiles, "PROFILE", "ci")
    assert [examples(n) for n in (25, 60, 150, 300)] == [25, 60, 150, 300]
    assert examples(300, dev=25) == 300
    assert settings.get_profile("ci").max_examples >= 100  # never under hypothesis' default


def test_dev_runs_a_fifth_with_a_floor_never_more_than_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hypothesis_profiles, "PROFILE", "dev")
    assert [examples(n) for n in (5, 25, 60, 150, 300)] == [5, 10, 12, 30, 60]
    assert examples(300, dev=25) == 25
    assert settings.get_profile("dev").max_examples < settings.get_profile("ci").max_examples


def test_the_loaded_profile_is_the_one_chosen_from_the_environment() -> None:
    expected = settings.get_profile(hypothesis_profiles.PROFILE)
    assert settings.default.max_examples == expected.max_examples
