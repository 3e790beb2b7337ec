"""Every eval mode sends model calls only to the configured API base (issue 16), and a run says which
model answered. The "network" is an outer respx router: it serves the configured base and records
anything the harness forwards elsewhere; a request to any other host fails inside the harness."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
import yaml

from evals.fake_model import scripted_body
from evals.harness import FORWARDED, run_suite
from evals.report import write_reports
from insights.core.config import Settings

STARTER = Path(__file__).parents[2] / "evals" / "suites" / "starter"
CONFIGURED = "http://configured-model.test/v1"
CASES = ["budget-cut-owner-sees-it", "budget-cut-hidden-from-ben", "hipaa-rep"]


def suite_copy(tmp_path: Path, **extra) -> Path:
    folder = tmp_path / "suite"
    shutil.copytree(STARTER, folder)
    spec = yaml.safe_load((folder / "suite.yaml").read_text())
    spec["cases"] = [c for c in spec["cases"] if c["id"] in CASES]
    spec.update(extra)
    (folder / "suite.yaml").write_text(yaml.safe_dump(spec))
    return folder


def target(**extra) -> Settings:
    values = {
        "INSIGHTS_ENV": "development",
        "INSIGHTS_MODEL": "openai/configured-model",
        "INSIGHTS_MODEL_API_BASE": CONFIGURED,
        "INSIGHTS_MODEL_API_KEY": "sk-test",
        "INSIGHTS_MODEL_TIMEOUT": 10,
        "INSIGHTS_MODEL_TOTAL_BUDGET": 20,
    }
    return Settings(**{**values, **extra})


@pytest.fixture
def network() -> Iterator[tuple[respx.Route, respx.Route]]:
    """Only forwarded requests reach this router; the pipeline's own calls stop at the harness's."""
    with respx.mock(assert_all_called=False) as router:  # unmatched: on to the harness's router
        model = router.post(f"{CONFIGURED}/chat/completions", headers={FORWARDED: "1"}).mock(
            side_effect=lambda r: httpx.Response(200, json=scripted_body(json.loads(r.content)))
        )
        router.post("http://configured-model.test/extras/tokenize/count", headers={FORWARDED: "1"}).mock(
            side_effect=lambda r: httpx.Response(200, json={"count": len(r.content) // 3})
        )
        elsewhere = router.route(headers={FORWARDED: "1"}).mock(return_value=httpx.Response(599))
        yield model, elsewhere


@pytest.mark.parametrize("mode", ["live", "record"])
async def test_live_and_record_call_only_the_configured_base(tmp_path, network, mode) -> None:
    model, elsewhere = network
    folder = suite_copy(tmp_path)
    for f in (folder / "recordings").glob("*.json"):
        f.unlink()
    run = await run_suite(folder, mode, target=target())
    assert model.call_count == 2  # the two cases the model may see (HIPAA sends nothing)
    assert elsewhere.call_count == 0
    assert run.metrics["leaks"] == 0 and run.metrics["fallbacks"] == 0
    assert run.metrics["parse_validity"] == 1.0 and run.metrics["statements_kept"] > 0
    assert run.model == "openai/configured-model" and "configured-model" in run.provenance
    recorded = sorted(p.name for p in (folder / "recordings").glob("*.json"))
    if mode == "live":
        assert recorded == []  # live stores nothing
    else:
        assert len(recorded) == 3 and "RECORDED.json" in recorded
        assert json.loads((folder / "recordings" / "RECORDED.json").read_text())["model"] == run.model
        replayed = await run_suite(folder, "replay")  # what was recorded replays offline
        assert replayed.metrics["unrecorded"] == 0 and model.call_count == 2
    page = write_reports(run, tmp_path / "report")[1].read_text()
    assert "openai/configured-model" in page and "scripted fake" not in page


async def test_a_server_tokenizer_is_asked_at_the_configured_base_and_replayed(tmp_path, network) -> None:
    model, elsewhere = network
    folder = suite_copy(tmp_path, tokenizer="server")
    for f in (folder / "recordings").glob("*.json"):
        f.unlink()
    run = await run_suite(folder, "record", target=target())
    assert model.call_count == 2 and elsewhere.call_count == 0 and run.metrics["fallbacks"] == 0
    counts = list((folder / "recordings").glob("tok-*.json"))
    assert counts  # the token counts were recorded beside the answers
    replayed = await run_suite(folder, "replay")  # packs the same prompts from the recorded counts
    assert replayed.metrics["unrecorded"] == 0 and all(c.passed for c in replayed.cases)


@pytest.mark.parametrize("mode", ["replay", "record"])
async def test_replay_and_fake_record_send_nothing_anywhere(tmp_path, network, mode) -> None:
    model, elsewhere = network
    run = await run_suite(suite_copy(tmp_path), mode)  # no target: record uses the keyword fake
    assert model.call_count == 0 and elsewhere.call_count == 0
    assert run.metrics["unrecorded"] == 0 and all(c.passed for c in run.cases)
    assert "fake" in run.provenance or "fake" in run.model


async def test_live_without_an_api_base_refuses_to_start(tmp_path) -> None:
    with pytest.raises(ValueError, match="INSIGHTS_MODEL_API_BASE"):
        await run_suite(suite_copy(tmp_path), "live", target=target(INSIGHTS_MODEL_API_BASE=None))
    with pytest.raises(ValueError, match="needs a model"):
        await run_suite(suite_copy(tmp_path / "b"), "live", target=Settings(INSIGHTS_ENV="development"))
