"""The labelled suite (issue 16): generated ground truth over several viewers, replayed offline
with recall and precision, and labels that follow the permission rules (a hidden signal is the
admin's to find, never the owner's)."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import yaml
from sqlalchemy import true

import insights.insight.timeline
from evals.harness import run_suite
from evals.labelled import build

LABELLED = Path(__file__).parents[2] / "evals" / "suites" / "labelled"


async def test_the_committed_labelled_suite_replays_with_recall_and_precision() -> None:
    run = await run_suite(LABELLED, "replay")
    assert len(run.cases) >= 100
    users_per_deal = {}
    spec = yaml.safe_load((LABELLED / "suite.yaml").read_text())
    for case in spec["cases"]:
        users_per_deal.setdefault(case["deal"], set()).add(case["user"])
    assert min(len(u) for u in users_per_deal.values()) == 3
    assert run.metrics["unrecorded"] == 0 and run.metrics["leaks"] == 0
    assert run.metrics["risk_recall"] == 1.0 and run.metrics["risk_precision"] == 1.0
    assert [c.id for c in run.cases if not c.passed] == []


def test_a_hidden_signal_is_labelled_for_the_admin_and_never_for_the_owner(tmp_path: Path) -> None:
    build(tmp_path, deals=12, seed=3)
    cases = {c["id"]: c for c in yaml.safe_load((tmp_path / "suite.yaml").read_text())["cases"]}
    hidden = [c for c in cases.values() if c["id"].endswith("-owner") and c["expect"]["never"]]
    assert hidden
    for owner in hidden:
        admin = cases[owner["id"].replace("-owner", "-admin")]
        extra = set(admin["expect"]["risk_kinds"]) - set(owner["expect"]["risk_kinds"])
        assert len(extra) == 1  # the kind only the hidden email carries


async def test_a_permission_bug_shows_as_leaks_on_the_labelled_suite(tmp_path: Path, monkeypatch) -> None:
    build(tmp_path, deals=6, seed=5)
    spec = yaml.safe_load((tmp_path / "suite.yaml").read_text())
    spec["cases"] = [c for c in spec["cases"] if c["id"].endswith("-owner") and c["expect"]["never"]]
    assert spec["cases"]
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(spec))
    clean = await run_suite(tmp_path, "record")
    assert clean.metrics["leaks"] == 0
    # (the timeline's statements are built from the predicate once per viewer: drop those built before)
    monkeypatch.setattr(insights.insight.timeline, "activity_readable", lambda viewer, types, **_: true())
    monkeypatch.setattr(insights.insight.timeline, "_BUILT", OrderedDict())
    leaky = await run_suite(tmp_path, "record")
    assert leaky.metrics["leaks"] > 0
