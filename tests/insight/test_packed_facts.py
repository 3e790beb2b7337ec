"""Every fact the eval suites expect reaches the prompt the model is sent, for every case of every
suite (issue 12: fewer input tokens, the same facts).

The prompts are the ones each suite's replay sends (``run_suite(..., "replay")``: the real pipeline,
the suite's window, tokenizer and prompt version). The facts come from the viewer's WHOLE visible
timeline (``deal_context`` without its 100-activity limit), read from a database of our own holding
the same fixture at the same clock, per case:
- the five newest visible activities (the recent summary names them) and any ``recent_ids``;
- for each model risk kind the case expects, every sentence of a visible activity that carries it:
  the planted signal sentences of ``evals/labelled.py`` (ground truth), and for the demo suites the
  keyword rules its recordings were made with (``evals/fake_model.RISK_WORDS``);
- for each expected goal phrase, every sentence of a visible activity that holds the phrase.
A fact reaches the prompt when the activity's header (the id the model cites) is there and the
sentence is in its block, or its block says ``(repeat)`` and a newer block shows the sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evals.fake_model import RISK_WORDS
from evals.harness import run_suite, suite_cases
from evals.labelled import SIGNALS
from insights.crm.demo import demo_accounts
from insights.crm.importer import import_records
from insights.crm.reader import iter_document
from insights.crm.values import parse_time
from insights.insight.budget import ACTIVITY_BLOCK, pack
from insights.insight.clean import clean_body
from insights.insight.compact import REPEAT, sentences_of
from insights.insight.context import DealContext
from insights.insight.retrieval import deal_context
from insights.permissions import load_viewer

SUITES = Path(__file__).parents[2] / "evals" / "suites"
EXPECTS = ("recent_ids", "risk_kinds", "goal_phrases")


@dataclass(frozen=True)
class Fact:
    activity_id: str
    sentence: str  # "" for an activity that must be there (a recent one), whatever its text
    why: str


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def facts_of(case: dict[str, Any], ctx: DealContext, labelled: bool) -> list[Fact]:
    """What the case's expectations rest on, found in the viewer's whole visible timeline."""
    expect = case.get("expect", {})
    out = [Fact(a.id, "", "recent") for a in ctx.activities[:5]]
    out += [Fact(i, "", "recent_ids") for i in expect.get("recent_ids", [])]
    for a in ctx.activities:
        for sentence in sentences_of(clean_body(a.body, 1_000_000)):
            low = sentence.lower()
            for kind in expect.get("risk_kinds", []):
                if labelled and kind in SIGNALS:
                    if any(_norm(signal) in _norm(sentence) for signal in SIGNALS[kind]):
                        out.append(Fact(a.id, sentence, f"risk {kind}"))
                elif not labelled and kind in RISK_WORDS and any(w in low for w in RISK_WORDS[kind]):
                    out.append(Fact(a.id, sentence, f"risk {kind}"))
            for phrase in expect.get("goal_phrases", []):
                if phrase.lower() in low:
                    out.append(Fact(a.id, sentence, f"goal {phrase!r}"))
    return out


def missing(facts: list[Fact], prompt: str) -> list[Fact]:
    """The facts that did not reach ``prompt``."""
    blocks = {m.group(1): _norm(m.group(0)) for m in ACTIVITY_BLOCK.finditer(prompt)}
    shown = " ".join(blocks.values())
    lost = []
    for f in facts:
        block = blocks.get(f.activity_id)
        said = not f.sentence or (
            block is not None
            and (_norm(f.sentence) in block or (REPEAT in block and _norm(f.sentence) in shown))
        )
        if block is None or not said:
            lost.append(f)
    return lost


async def _contexts(
    sm: async_sessionmaker[AsyncSession], folder: Path, spec: dict[str, Any], cases: list[dict[str, Any]]
) -> dict[str, DealContext]:
    """Each case's whole visible timeline, from the suite's fixture imported at the suite's clock."""
    now = parse_time(spec["now"], "now")
    assert now is not None
    if spec.get("fixture", "demo") == "demo":
        docs = demo_accounts(now)
    else:
        docs = [json.loads((folder / spec["fixture"]).read_text(encoding="utf-8"))]
    out = {}
    async with sm() as s:
        for doc in docs:
            await import_records(s, iter_document(doc))
        await s.commit()
        for case in cases:
            viewer = await load_viewer(s, case.get("account", "demo"), str(case["user"]))
            assert viewer is not None, case["id"]
            ctx = await deal_context(s, str(case["deal"]), viewer, now=now, limit=100_000)
            if ctx is not None:
                out[case["id"]] = ctx
    return out


@pytest.mark.parametrize("suite", ["starter", "starter-smollm2", "labelled"])
async def test_every_fact_a_suite_expects_reaches_each_cases_prompt(
    sessionmaker: async_sessionmaker[AsyncSession], suite: str
) -> None:
    folder = SUITES / suite
    spec = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    cases = suite_cases(folder, spec)
    assert any(k in c.get("expect", {}) for c in cases for k in EXPECTS), f"{suite} lost its facts"
    contexts = await _contexts(sessionmaker, folder, spec, cases)
    run = await run_suite(folder, "replay")
    checked = set()
    for case in cases:
        prompts = run.prompts.get(case["id"], [])
        if not prompts:  # the rules alone answered: HIPAA, analysis off, no activity, not visible
            continue
        ctx = contexts.get(case["id"])
        assert ctx is not None and ctx.activities, case["id"]
        facts = facts_of(case, ctx, labelled=suite == "labelled")
        for prompt in prompts:  # each section call (or the one combined call) is shown them all
            assert missing(facts, prompt) == [], (case["id"], missing(facts, prompt))
        checked |= {(case["id"], f.why) for f in facts}
    kinds = {why.split(" ", 1)[0] for _, why in checked}
    assert kinds >= ({"recent", "recent_ids"} if suite == "starter-smollm2" else {"recent", "risk", "goal"})


async def test_the_check_fails_when_packing_leaves_out_an_activity_a_case_expects(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The starter case's budget cut, e-budget: present in the packed prompt, missing once the
    packer is handed the timeline without it or shows it without its text."""
    folder = SUITES / "starter"
    spec = yaml.safe_load((folder / "suite.yaml").read_text(encoding="utf-8"))
    [case] = [c for c in spec["cases"] if c["id"] == "budget-cut-owner-sees-it"]
    ctx = (await _contexts(sessionmaker, folder, spec, [case]))[case["id"]]
    facts = facts_of(case, ctx, labelled=False)
    assert {f.activity_id for f in facts if f.why == "risk budget"} >= {"e-budget"}
    assert missing(facts, pack(ctx, 24_000).text) == []

    dropped = ctx.model_copy(update={"activities": [a for a in ctx.activities if a.id != "e-budget"]})
    assert {f.activity_id for f in missing(facts, pack(dropped, 24_000).text)} == {"e-budget"}

    silenced = ctx.model_copy(
        update={"activities": [a.model_copy(update={"body": None}) for a in ctx.activities]}
    )
    lost = missing(facts, pack(silenced, 24_000).text)
    assert lost and all(f.sentence for f in lost)  # the headers are there, the sentences are not
