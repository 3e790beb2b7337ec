"""The eval harness: the starter suite replays offline, gaps fail clearly, a broken prompt
regresses past the gate, and the leak metric fails when a permission bug is injected."""

from __future__ import annotations

import json
import shutil
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import yaml
from sqlalchemy import true
from typer.testing import CliRunner

import insights.insight.timeline
from evals.harness import compare, run_suite
from evals.report import write_reports
from insights.cli import app
from insights.insight.prompts import load_prompts

STARTER = Path(__file__).parents[2] / "evals" / "suites" / "starter"


def suite_copy(tmp_path: Path, only: list[str] | None = None, recordings: bool = True) -> Path:
    folder = tmp_path / "suite"
    shutil.copytree(STARTER, folder)
    if not recordings:
        shutil.rmtree(folder / "recordings")
    if only:
        spec = yaml.safe_load((folder / "suite.yaml").read_text())
        spec["cases"] = [c for c in spec["cases"] if c["id"] in only]
        (folder / "suite.yaml").write_text(yaml.safe_dump(spec))
    return folder


async def test_starter_suite_replays_offline_and_writes_reports(tmp_path: Path) -> None:
    run = await run_suite(STARTER, "replay")
    assert len(run.cases) >= 30
    assert [c.id for c in run.cases if not c.passed] == []
    assert run.metrics["leaks"] == 0 and run.metrics["unrecorded"] == 0
    json_path, html_path = write_reports(run, tmp_path / "report")
    assert json.loads(json_path.read_text())["metrics"]["pass_rate"] == 1.0
    page = html_path.read_text()
    assert "<svg" in page and "scripted fake" in page


async def test_replay_fails_clearly_on_an_unrecorded_request(tmp_path: Path) -> None:
    folder = suite_copy(tmp_path, ["budget-cut-owner-sees-it"], recordings=False)
    run = await run_suite(folder, "replay")
    [case] = run.cases
    assert not case.passed and case.failures[0].startswith("replay: request(s) never recorded")


async def test_a_broken_prompt_version_fails_the_compare_gate(tmp_path: Path) -> None:
    cases = ["budget-cut-owner-sees-it", "goals-in-meeting-notes", "competitor-email", "healthy-deal"]
    baseline = await run_suite(suite_copy(tmp_path / "a", cases), "record")
    good = load_prompts()
    broken = replace(
        good,
        version="v1-broken",
        combined=good.combined.replace("Task: write the three sections", "Task: list the buyer goals"),
    )  # asks the wrong question
    candidate = await run_suite(suite_copy(tmp_path / "b", cases, recordings=False), "record", prompts=broken)
    lines, regressed = compare(baseline.to_json(), candidate.to_json())
    assert regressed and any("REGRESSED" in line for line in lines)
    write_reports(baseline, tmp_path / "run-a")
    write_reports(candidate, tmp_path / "run-b")
    result = CliRunner().invoke(app, ["eval", "compare", str(tmp_path / "run-a"), str(tmp_path / "run-b")])
    assert result.exit_code == 1
    same = CliRunner().invoke(app, ["eval", "compare", str(tmp_path / "run-a"), str(tmp_path / "run-a")])
    assert same.exit_code == 0


async def test_leak_metric_reports_an_injected_permission_bug(tmp_path: Path, monkeypatch) -> None:
    folder = suite_copy(tmp_path, ["budget-cut-hidden-from-ben"], recordings=False)
    clean = await run_suite(folder, "record")
    assert clean.metrics["leaks"] == 0
    # the bug: activity scopes ignored, so Ben's timeline includes Ana's budget-cut email
    # (the timeline's statements are built from the predicate once per viewer: drop those built before)
    monkeypatch.setattr(insights.insight.timeline, "activity_readable", lambda viewer, types, **_: true())
    monkeypatch.setattr(insights.insight.timeline, "_BUILT", OrderedDict())
    leaky = await run_suite(folder, "record")
    assert leaky.metrics["leaks"] > 0 and not leaky.cases[0].passed
    assert any(f.startswith("leak:") for f in leaky.cases[0].failures)
