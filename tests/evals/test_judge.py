"""The faithfulness judge (issue 16): off by default; when on, one recorded, replayable call per
kept statement, shown only the activities that statement cites."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from evals.harness import run_suite
from evals.judge import TASK_HEAD

STARTER = Path(__file__).parents[2] / "evals" / "suites" / "starter"


def small_suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    shutil.copytree(STARTER, folder)
    shutil.rmtree(folder / "recordings")
    spec = yaml.safe_load((folder / "suite.yaml").read_text())
    spec["cases"] = [c for c in spec["cases"] if c["id"] in ("budget-cut-owner-sees-it", "competitor-email")]
    (folder / "suite.yaml").write_text(yaml.safe_dump(spec))
    return folder


async def test_the_judge_is_off_by_default_and_replays_when_on(tmp_path: Path) -> None:
    folder = small_suite(tmp_path)
    plain = await run_suite(folder, "record")
    assert "faithfulness" not in plain.metrics
    answers = len(list((folder / "recordings").glob("*.json")))
    judged = await run_suite(folder, "record", judge=True)
    assert 0 < judged.metrics["faithfulness"] <= 1
    recordings = [json.loads(p.read_text()) for p in (folder / "recordings").glob("*.json")]
    assert len(recordings) > answers  # the judge's calls were recorded too
    replayed = await run_suite(folder, "replay", judge=True)
    assert replayed.metrics["unrecorded"] == 0
    assert replayed.metrics["faithfulness"] == judged.metrics["faithfulness"]


async def test_the_judge_sees_only_the_cited_activities(tmp_path: Path, monkeypatch) -> None:
    from evals import fake_model

    seen: list[str] = []
    original = fake_model.respond

    def spy(body):  # record mode answers through fake_model.respond: keep what the judge was shown
        text = body["messages"][-1]["content"]
        if TASK_HEAD in text:
            seen.append(text)
        return original(body)

    monkeypatch.setattr(fake_model, "respond", spy)
    run = await run_suite(small_suite(tmp_path), "record", judge=True)
    assert run.metrics["faithfulness"] > 0 and seen
    for text in seen:
        context = text.split("\n---\n", 1)[0]
        assert "Deal:" not in context  # no deal header, no uncited activity: the cited blocks only
        assert 1 <= context.count("<<<DATA") + context.count("] ") <= 6
