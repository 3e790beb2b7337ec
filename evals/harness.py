"""Offline eval suites: run the real pipeline on CRM fixtures, score it, report, compare.

A suite is a folder with ``suite.yaml`` (fixture, clock, cases, optionally the ``prompt_version``
its recordings answer) and ``recordings/`` (model answers keyed by a hash of the request). Modes:
- ``replay``: answers come from recordings only; a request never recorded fails the case clearly.
- ``record``: answers come from the configured model (``target``: INSIGHTS_MODEL and
  INSIGHTS_MODEL_API_BASE) or, with none configured, from the keyword-rule fake in
  ``evals/fake_model.py``, and are written to ``recordings/`` (token counts asked of a model server
  too, so a replay packs the same prompts).
- ``live``: the configured model, nothing stored.
In every mode a respx router stands between the pipeline and the network: requests go to the one
configured API base (forwarded by the harness, which reads the answer) and anything else fails.
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
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

import httpx  # noqa: E402
import respx  # noqa: E402
import yaml  # noqa: E402

import insights  # noqa: E402,F401
from evals import fake_model  # noqa: E402
from evals.judge import judge as faithfulness  # noqa: E402
from insights.core.config import Settings  # noqa: E402
from insights.core.db import make_engine, make_sessionmaker  # noqa: E402
from insights.core.schema import create_schema  # noqa: E402
from insights.crm.demo import demo_accounts  # noqa: E402
from insights.crm.importer import import_records  # noqa: E402
from insights.crm.reader import iter_document  # noqa: E402
from insights.crm.values import parse_time  # noqa: E402
from insights.insight.answers import SCHEMAS, CombinedAnswer  # noqa: E402
from insights.insight.llm import MalformedAnswer, parse_json  # noqa: E402
from insights.insight.service import InsightService  # noqa: E402
from insights.permissions import load_viewer  # noqa: E402

EVAL_BASE = "http://eval-model.invalid/v1"
# higher is better for all but these
LOWER_IS_BETTER = {
    "leaks",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "fallbacks",
    "unrecorded",
    "dropped_no_citation",
    "dropped_unknown_id",
}
SUMMED = {"leaks", "unrecorded", "statements_kept", "dropped_no_citation", "dropped_unknown_id"}
FORWARDED = "x-eval-forwarded"  # marks the harness's own forwarded request: it passes the router


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
    model: str = ""
    # per case, the text of each chat request the pipeline sent (not in the JSON report: prompts hold
    # CRM text; tests read them, e.g. that every fact a case expects reached its prompt)
    prompts: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "mode": self.mode,
            "prompt_version": self.prompt_version,
            "model": self.model,
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
    kept = (
        (insight.recent_activity.summary is not None)
        + sum(r.source == "model" for r in insight.risks)
        + len(insight.buyer_goals)
    )
    reasons = insight.model.dropped_reasons
    return {
        "statements_kept": float(kept),
        "dropped_no_citation": float(reasons.get("no_citation", 0)),
        "dropped_unknown_id": float(reasons.get("unknown_id", 0)),
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


def answer_schema_of(body: dict[str, Any]) -> type[Any] | None:
    """The pydantic schema a chat request's task asks for (to score parse validity of raw answers)."""
    kind = fake_model.section_of(body)
    return CombinedAnswer if kind == "combined" else SCHEMAS.get(kind or "")


def parses(body: dict[str, Any], answer: dict[str, Any]) -> bool | None:
    """Whether a raw completion is JSON of the requested shape (None: a task we cannot place)."""
    schema = answer_schema_of(body)
    if schema is None:
        return None
    try:
        parse_json(answer["choices"][0]["message"]["content"], schema)
    except (MalformedAnswer, KeyError, IndexError, TypeError):
        return False
    return True


def _shown_text(captured: str) -> str:
    """What a captured request showed: its messages' text, or a token count's input."""
    body = json.loads(captured)
    return "\n".join(m["content"] for m in body.get("messages", [])) or str(body.get("input", ""))


def suite_cases(folder: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The suite's cases; ``cases_from`` borrows another suite's, keeping only ``expect_keys``."""
    if "cases_from" not in spec:
        cases: list[dict[str, Any]] = spec["cases"]
        return cases
    other = yaml.safe_load((folder / spec["cases_from"]).read_text(encoding="utf-8"))
    keep = set(spec.get("expect_keys", []))
    return [
        {**c, "expect": {k: v for k, v in c.get("expect", {}).items() if k in keep}} for c in other["cases"]
    ]


async def forward(request: httpx.Request, timeout: float) -> httpx.Response:
    """The request sent on to the configured API base (marked, so the router lets it pass)."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        r = await client.post(
            str(request.url),
            content=request.content,
            headers={
                **{
                    k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")
                },
                FORWARDED: "1",
            },
        )
        await r.aread()
        return httpx.Response(r.status_code, content=r.content, headers={"content-type": "application/json"})


async def run_suite(
    folder: Path,
    mode: str = "replay",
    model: str | None = None,
    concurrency: int = 4,
    progress: Any = None,
    prompt_version: str | None = None,
    prompts: Any = None,
    target: Settings | None = None,
    judge: bool = False,
) -> RunResult:
    """Run every case. ``target`` is the configured model (its INSIGHTS_MODEL_* settings) that
    ``record`` and ``live`` call; record falls back to the keyword fake when it names no model.
    ``judge`` adds the faithfulness judge (evals/judge.py): one more model call per kept statement."""
    spec = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    now: datetime = parse_time(spec["now"], "now")  # type: ignore[assignment]
    recordings = folder / "recordings"
    recordings.mkdir(exist_ok=True)
    db = Path(tempfile.mkdtemp()) / "eval.db"
    real = mode in ("record", "live") and target is not None and bool(target.model or model)
    if mode == "live" and not real:
        raise ValueError("live mode needs a model: set INSIGHTS_MODEL and INSIGHTS_MODEL_API_BASE")
    if real and not (target and target.model_api_base):
        raise ValueError(
            "set INSIGHTS_MODEL_API_BASE: record and live calls go only to the configured API base "
            "(e.g. https://api.openai.com/v1, or http://127.0.0.1:8080/v1 for insights model serve-local)"
        )
    base = target.model_api_base.rstrip("/") if real and target and target.model_api_base else EVAL_BASE
    overrides: dict[str, Any] = {
        "INSIGHTS_MODEL_CONTEXT_TOKENS": spec.get("context_tokens", 32000),
        "INSIGHTS_MODEL_TOKENIZER": spec.get("tokenizer", "auto"),
        "INSIGHTS_MODEL_SCHEMA_MODE": spec.get("schema_mode", "auto"),
    }
    if real:
        assert target is not None
        overrides.update(
            INSIGHTS_MODEL=model or target.model,
            INSIGHTS_MODEL_API_KEY=target.model_api_key or "sk-none",
            INSIGHTS_MODEL_CONTEXT_TOKENS=target.model_context_tokens
            or overrides["INSIGHTS_MODEL_CONTEXT_TOKENS"],
            INSIGHTS_MODEL_TIMEOUT=target.model_timeout_s,
            INSIGHTS_MODEL_TOTAL_BUDGET=target.model_total_budget_s,
            INSIGHTS_MODEL_MAX_RETRIES=target.model_max_retries,
            INSIGHTS_MODEL_MAX_OUTPUT_TOKENS=target.model_max_output_tokens,
        )
        if "model_schema_mode" in target.model_fields_set:  # set explicitly: it wins over the suite's
            overrides["INSIGHTS_MODEL_SCHEMA_MODE"] = target.model_schema_mode
        if "model_tokenizer" in target.model_fields_set:
            overrides["INSIGHTS_MODEL_TOKENIZER"] = target.model_tokenizer
    else:
        overrides.update(
            INSIGHTS_MODEL=model or spec.get("model", "openai/eval-model"),
            INSIGHTS_MODEL_API_KEY="sk-eval",
            INSIGHTS_MODEL_MAX_RETRIES=0,
            INSIGHTS_MODEL_TOTAL_BUDGET=60,
        )
    settings = Settings(
        DATABASE_URL=f"sqlite:///{db}", INSIGHTS_ENV="development", INSIGHTS_MODEL_API_BASE=base, **overrides
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
    # a suite may pin the version its recordings were made with (a real model's cannot be remade here)
    prompt_version = prompt_version or spec.get("prompt_version")
    if prompt_version:
        from insights.insight.prompts import load_prompts

        service.prompts = load_prompts(prompt_version)
    if prompts is not None:  # a PromptSet under test (e.g. a candidate not yet saved as a version)
        service.prompts = prompts
    model_name = settings.model or ""
    provenance = spec.get("provenance", "")
    if real:
        provenance = f"{mode.capitalize()} from {model_name} at {base} on {datetime.now(UTC):%Y-%m-%d}."
    elif mode == "record" and not provenance:
        provenance = (
            "Recorded from the scripted fake model in evals/fake_model.py (keyword rules), not a model."
        )
    result = RunResult(
        suite=spec.get("name", folder.name),
        mode=mode,
        prompt_version=service.prompts.version,
        provenance=provenance,
        model=model_name if real or mode == "replay" else "scripted fake (evals/fake_model.py)",
    )
    prompts_by_case: dict[str, list[str]] = {}
    parsed_by_case: dict[str, Counter[bool]] = {}
    current = contextvars.ContextVar("case", default="?")  # follows the case into any child task

    async def answer(request: httpx.Request) -> httpx.Response:
        case_id = current.get()
        body = json.loads(request.content)
        prompts_by_case.setdefault(case_id, []).append(request.content.decode())
        key = request_key(request)
        path = recordings / f"{key}.json"
        if mode == "replay":
            if not path.exists():
                prompts_by_case.setdefault(case_id + ":unrecorded", []).append(key)
                return httpx.Response(400, json={"error": {"message": f"unrecorded request {key}"}})
            completion = json.loads(path.read_text(encoding="utf-8"))
        elif real:
            response = await forward(request, settings.model_timeout_s)
            if response.status_code != 200:
                return response  # the door sees the provider's own failure
            completion = response.json()
        else:
            completion = fake_model.respond(body)  # record: the fake stands in for a model
        if mode == "record":
            path.write_text(json.dumps(completion, indent=1), encoding="utf-8")
        if (ok := parses(body, completion)) is not None:
            parsed_by_case.setdefault(case_id, Counter())[ok] += 1
        return httpx.Response(200, json=completion)

    async def tokenize(request: httpx.Request) -> httpx.Response:
        """A model server's token count (tokenizer: server): recorded and replayed like answers."""
        prompts_by_case.setdefault(current.get(), []).append(request.content.decode())  # leak-checked too
        key = "tok-" + hashlib.sha256(request.content).hexdigest()[:24]
        path = recordings / f"{key}.json"
        if mode == "replay" or not real:
            if not path.exists():
                prompts_by_case.setdefault(current.get() + ":unrecorded", []).append(key)
                return httpx.Response(404)
            return httpx.Response(200, content=path.read_bytes())
        response = await forward(request, settings.model_timeout_s)
        if mode == "record" and response.status_code == 200:
            path.write_bytes(response.content)
        return response

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
            if judge and insight.status == "ai" and service.llm is not None:
                shown = "\n".join(_shown_text(p) for p in prompts_by_case.get(case["id"], []))
                supported, judged = await faithfulness(service.llm, insight, shown)
                if judged:
                    metrics["faithfulness"] = supported / judged
            if parsed := parsed_by_case.get(case["id"]):
                metrics["parse_validity"] = parsed[True] / (parsed[True] + parsed[False])
            unrecorded = prompts_by_case.get(case["id"] + ":unrecorded", [])
            metrics["unrecorded"] = float(len(unrecorded))
            if unrecorded:
                failures.insert(0, f"replay: request(s) never recorded: {', '.join(unrecorded)}")
            if progress:
                progress()
            return CaseResult(case["id"], not failures, failures, metrics, insight.status, insight.reason)

    # assert_all_mocked: a request to any other host fails instead of leaving the machine
    router = respx.mock(assert_all_called=False, assert_all_mocked=True)
    router.route(headers={FORWARDED: "1"}, url__startswith=base.removesuffix("/v1")).pass_through()
    router.post(f"{base}/chat/completions").mock(side_effect=answer)
    router.post(f"{base.removesuffix('/v1')}/extras/tokenize/count").mock(side_effect=tokenize)
    router.start()
    try:
        result.cases = list(await asyncio.gather(*(one(c) for c in suite_cases(folder, spec))))
    finally:
        router.stop()
        await engine.dispose()
    for case_id, sent in prompts_by_case.items():
        chats = [json.loads(p) for p in sent if not case_id.endswith(":unrecorded")]
        result.prompts[case_id] = [
            "\n".join(m["content"] for m in body["messages"]) for body in chats if "messages" in body
        ]
    names = sorted({k for c in result.cases for k in c.metrics})
    for name in names:
        values = [c.metrics[name] for c in result.cases if name in c.metrics]
        result.metrics[name] = sum(values) if name in SUMMED else sum(values) / len(values)
    result.metrics["pass_rate"] = sum(c.passed for c in result.cases) / len(result.cases)
    if mode == "record" and real:
        (recordings / "RECORDED.json").write_text(
            json.dumps(
                {"model": model_name, "date": f"{datetime.now(UTC):%Y-%m-%d}", "cases": len(result.cases)}
            )
            + "\n",
            encoding="utf-8",
        )
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
