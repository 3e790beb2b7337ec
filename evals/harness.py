"""Offline eval suites: run the real pipeline on CRM fixtures, score it, report, compare.

A suite is a folder with ``suite.yaml`` (fixture, clock, cases) and ``recordings/`` (model answers
keyed by a hash of the request). Modes:
- ``replay``: answers come from recordings only; a request never recorded fails the case clearly.
- ``record``: answers come from the keyword-rule fake in ``evals/fake_model.py`` (no model is
  reachable offline) and are written to ``recordings/``.
- ``live``: the configured model, nothing stored.
Every request the pipeline sends is captured, so the leak metric checks prompts as well as output.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

import httpx  # noqa: E402
import respx  # noqa: E402
import yaml  # noqa: E402

import insights  # noqa: E402,F401
from evals import fake_model  # noqa: E402
from insights.core.config import Settings  # noqa: E402
from insights.core.db import make_engine, make_sessionmaker  # noqa: E402
from insights.core.schema import create_schema  # noqa: E402
from insights.crm.demo import demo_accounts  # noqa: E402
from insights.crm.importer import import_records  # noqa: E402
from insights.crm.reader import iter_document  # noqa: E402
from insights.crm.values import parse_time  # noqa: E402
from insights.insight.service import InsightService  # noqa: E402
from insights.permissions import load_viewer  # noqa: E402

EVAL_BASE = "http://eval-model.invalid/v1"
# higher is better for all but these
LOWER_IS_BETTER = {"leaks", "input_tokens", "output_tokens", "latency_ms", "fallbacks", "unrecorded"}


def request_key(request: httpx.Request) -> str:
    body = json.loads(request.content)
    return hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).hexdigest()[:24]


@dataclass
class CaseResult:
    id: str
    passed: bool
    failures: list[str]
    metrics: dict[str, float]
    status: str = ""
    reason: str | None = None


@dataclass
class RunResult:
    suite: str
    mode: str
    prompt_version: str
    cases: list[CaseResult] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    provenance: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "mode": self.mode,
            "prompt_version": self.prompt_version,
            "provenance": self.provenance,
            "metrics": self.metrics,
            "cases": [c.__dict__ for c in self.cases],
        }


def score(case: dict[str, Any], insight: Any, prompts: list[str]) -> tuple[dict[str, float], list[str]]:
    """Deterministic checks of one insight against the case's expectations."""
    expect = case.get("expect", {})
    out = json.dumps(insight.model_dump(mode="json"))
    failures = []
    leaks = sum(1 for canary in expect.get("never", []) for text in [out, *prompts] if canary in text)
    if leaks:
        failures.append(f"leak: a forbidden string reached a prompt or the output ({leaks}x)")
    output_only = sum(1 for text in expect.get("never_in_output", []) if text in out)
    if output_only:
        failures.append(f"forbidden text in the output ({output_only}x)")
    leaks += output_only
    kinds = {r.kind for r in insight.risks}
    want_kinds = set(expect.get("risk_kinds", []))
    recall = len(want_kinds & kinds) / len(want_kinds) if want_kinds else 1.0
    if recall < 1:
        failures.append(f"risks missing: {sorted(want_kinds - kinds)}")
    model_kinds = [r.kind for r in insight.risks if r.source == "model"]
    allowed = set(expect.get("risk_kinds", [])) | set(expect.get("risk_kinds_ok", []))
    precision = (
        (sum(k in allowed for k in model_kinds) / len(model_kinds)) if model_kinds and allowed else 1.0
    )
    goals_text = " ".join(g.text.lower() for g in insight.buyer_goals)
    phrases = expect.get("goal_phrases", [])
    coverage = sum(p.lower() in goals_text for p in phrases) / len(phrases) if phrases else 1.0
    if coverage < 1:
        failures.append(
            "buyer goals not covered: " + ", ".join(p for p in phrases if p.lower() not in goals_text)
        )
    recent = [i.activity_id for i in insight.recent_activity.items]
    for rid in expect.get("recent_ids", []):
        if rid not in recent:
            failures.append(f"recent activity {rid} not listed")
    if "status" in expect and insight.status != expect["status"]:
        failures.append(f"status {insight.status}, expected {expect['status']}")
    if expect.get("model_called") is False and prompts:
        failures.append(f"{len(prompts)} request(s) reached the model; none allowed")
    cited = len(insight.risks) + len(insight.buyer_goals) + insight.model.dropped_statements
    validity = 1 - insight.model.dropped_statements / cited if cited else 1.0
    complete = (insight.recent_activity.summary is not None) + bool(insight.buyer_goals) + bool(insight.risks)
    return {
        "leaks": float(leaks),
        "risk_recall": recall,
        "risk_precision": precision,
        "goal_coverage": coverage,
        "citation_validity": validity,
        "section_completeness": complete / 3,
        "fallbacks": float(insight.status == "data_only" and insight.reason == "model_unavailable"),
        "input_tokens": float(insight.model.input_tokens),
        "output_tokens": float(insight.model.output_tokens),
    }, failures


async def run_suite(
    folder: Path,
    mode: str = "replay",
    model: str | None = None,
    concurrency: int = 4,
    progress: Any = None,
    prompt_version: str | None = None,
    prompts: Any = None,
) -> RunResult:
    spec = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    now: datetime = parse_time(spec["now"], "now")  # type: ignore[assignment]
    recordings = folder / "recordings"
    recordings.mkdir(exist_ok=True)
    db = Path(tempfile.mkdtemp()) / "eval.db"
    settings = Settings(
        DATABASE_URL=f"sqlite:///{db}",
        INSIGHTS_ENV="development",
        INSIGHTS_MODEL=model or spec.get("model", "openai/eval-model"),
        INSIGHTS_MODEL_API_BASE=None if mode == "live" else EVAL_BASE,
        INSIGHTS_MODEL_API_KEY=None if mode == "live" else "sk-eval",
        INSIGHTS_MODEL_CONTEXT_TOKENS=spec.get("context_tokens", 32000),
        INSIGHTS_MODEL_MAX_RETRIES=0,
        INSIGHTS_MODEL_TOTAL_BUDGET=60,
    )
    engine = make_engine(settings.database_url)
    await create_schema(engine)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        docs = (
            demo_accounts(now)
            if spec.get("fixture", "demo") == "demo"
            else [json.loads((folder / spec["fixture"]).read_text(encoding="utf-8"))]
        )
        for doc in docs:
            await import_records(s, iter_document(doc))
        await s.commit()
    service = InsightService(settings)
    if prompt_version:
        from insights.insight.prompts import load_prompts

        service.prompts = load_prompts(prompt_version)
    if prompts is not None:  # a PromptSet under test (e.g. a candidate not yet saved as a version)
        service.prompts = prompts
    result = RunResult(
        suite=spec.get("name", folder.name),
        mode=mode,
        prompt_version=service.prompts.version,
        provenance=spec.get("provenance", ""),
    )
    prompts_by_case: dict[str, list[str]] = {}
    current = contextvars.ContextVar("case", default="?")  # follows the case into any child task

    def answer(request: httpx.Request) -> httpx.Response:
        case_id = current.get()
        prompts_by_case.setdefault(case_id, []).append(request.content.decode())
        key = request_key(request)
        path = recordings / f"{key}.json"
        if mode == "replay":
            if not path.exists():
                prompts_by_case.setdefault(case_id + ":unrecorded", []).append(key)
                return httpx.Response(400, json={"error": {"message": f"unrecorded request {key}"}})
            return httpx.Response(200, json=json.loads(path.read_text(encoding="utf-8")))
        body = fake_model.respond(json.loads(request.content))  # record: the fake stands in for a model
        path.write_text(json.dumps(body, indent=1), encoding="utf-8")
        return httpx.Response(200, json=body)

    sem = asyncio.Semaphore(concurrency)

    async def one(case: dict[str, Any]) -> CaseResult:
        async with sem:
            current.set(case["id"])
            started = time.perf_counter()
            async with sm() as s:
                viewer = await load_viewer(s, case.get("account", "demo"), str(case["user"]))
                if viewer is None:
                    return CaseResult(case["id"], False, ["unknown user"], {})
                insight = await service.insight_for(s, str(case["deal"]), viewer, refresh=True, now=now)
                await s.commit()
            if insight is None:
                ok = case.get("expect", {}).get("visible", True) is False
                return CaseResult(case["id"], ok, [] if ok else ["deal not visible"], {"leaks": 0.0})
            metrics, failures = score(case, insight, prompts_by_case.get(case["id"], []))
            metrics["latency_ms"] = (time.perf_counter() - started) * 1000
            unrecorded = prompts_by_case.get(case["id"] + ":unrecorded", [])
            metrics["unrecorded"] = float(len(unrecorded))
            if unrecorded:
                failures.insert(0, f"replay: request(s) never recorded: {', '.join(unrecorded)}")
            if progress:
                progress()
            return CaseResult(case["id"], not failures, failures, metrics, insight.status, insight.reason)

    router = respx.mock(assert_all_called=False) if mode != "live" else None
    if router:
        router.start()
        router.post(f"{EVAL_BASE}/chat/completions").mock(side_effect=answer)
    try:
        result.cases = list(await asyncio.gather(*(one(c) for c in spec["cases"])))
    finally:
        if router:
            router.stop()
        await engine.dispose()
    names = sorted({k for c in result.cases for k in c.metrics})
    for name in names:
        values = [c.metrics[name] for c in result.cases if name in c.metrics]
        result.metrics[name] = sum(values) if name in ("leaks", "unrecorded") else sum(values) / len(values)
    result.metrics["pass_rate"] = sum(c.passed for c in result.cases) / len(result.cases)
    return result


def compare(a: dict[str, Any], b: dict[str, Any], threshold: float = 0.02) -> tuple[list[str], bool]:
    """Lines describing each metric's change from run A to run B, and whether any regressed."""
    lines, regressed = [], False
    for name in sorted(set(a["metrics"]) | set(b["metrics"])):
        va, vb = a["metrics"].get(name, 0.0), b["metrics"].get(name, 0.0)
        worse = (vb > va) if name in LOWER_IS_BETTER else (vb < va)
        size = abs(vb - va) / (abs(va) or 1.0)
        bad = worse and (size > threshold if name not in ("leaks", "unrecorded") else vb > va)
        if name in ("input_tokens", "output_tokens", "latency_ms"):
            bad = worse and size > 0.25  # cost and speed: only large moves fail the gate
        regressed |= bad
        mark = "REGRESSED" if bad else ("better" if (vb != va and not worse) else "")
        lines.append(f"{name:22} {va:12.3f} -> {vb:12.3f}  {mark}")
    return lines, regressed
