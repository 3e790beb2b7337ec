"""The starter suite as SmolLM2-135M-Instruct answered it (recorded once from a local llama.cpp
server, evals/suites/starter-smollm2): genuinely messy real output through parse, schema and
citation handling, replayed offline. It must never leak; its quality figures are reported."""

from __future__ import annotations

import json
from pathlib import Path

from evals.harness import run_suite
from evals.report import model_line

SUITE = Path(__file__).parents[2] / "evals" / "suites" / "starter-smollm2"


async def test_the_real_model_recordings_replay_offline_without_leaks() -> None:
    recorded = json.loads((SUITE / "recordings" / "RECORDED.json").read_text())
    assert recorded["model"] == "openai/smollm2-135m-instruct"
    run = await run_suite(SUITE, "replay")
    print(model_line(run))  # pytest -s shows the model's figures
    assert run.metrics["unrecorded"] == 0
    assert run.metrics["leaks"] == 0
    assert [c.id for c in run.cases if not c.passed] == []
    assert run.model == "openai/smollm2-135m-instruct" and "smollm2" in run.provenance.lower()
    assert run.prompt_version == "v1"  # the suite pins the version its recordings answer
    assert run.metrics["parse_validity"] == 1.0  # json_object + schema: the grammar holds the shape
    # what it wrote cited invented ids or none: all dropped, so no insight claims to be AI
    asked = [c for c in run.cases if c.metrics.get("input_tokens")]
    assert asked and run.metrics["dropped_unknown_id"] + run.metrics["dropped_no_citation"] > 0
    assert {(c.status, c.reason) for c in asked} == {("data_only", "no_valid_statements")}
