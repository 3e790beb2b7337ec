"""Activity text cleaning for the prompt: the noise goes, the facts the eval suites expect stay.

The facts test runs every starter-suite case that expects a model-side risk, a goal phrase or
recent ids through the real retriever and ``pack``, on the demo and again with every email wrapped
in the noise real mail carries (a quoted earlier message, a signature, a disclaimer, header lines),
and checks each expected fact is in the packed prompt and the noise is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evals.fake_model import ACTIVITY_BLOCK, RISK_WORDS
from insights.insight.budget import pack
from insights.insight.clean import CUT_MARKER, clean_body, cut
from insights.insight.context import DealContext
from insights.insight.retrieval import deal_context
from insights.permissions import load_viewer
from tests.conftest import DEMO_NOW

SUITE = Path(__file__).parents[2] / "evals" / "suites" / "starter" / "suite.yaml"
QUOTED = (
    "On Tue, 3 Nov 2026 at 09:12, Old Sender <old@globex.example> wrote:\n> QUOTEDNOISE earlier text\n> more"
)
SIGNATURE = "\n\nBest regards,\nMona Diaz\nHead of IT | Globex\n+1 555 0100"
DISCLAIMER = (
    "\n\nCONFIDENTIALITY NOTICE: This email and any attachments are confidential and intended solely "
    "for the addressee. DISCLAIMERNOISE"
)


def test_a_quoted_reply_is_cut_and_the_new_text_kept() -> None:
    body = f"Thanks, the budget is approved.\n\n{QUOTED}"
    assert clean_body(body, 1500) == "Thanks, the budget is approved."


def test_quote_marked_lines_and_a_forwarded_block_go() -> None:
    body = (
        "See below, the CFO agrees.\n> quoted line\n"
        "-----Original Message-----\nFrom: Priya <p@x.example>\nSent: Monday\nSubject: Budget\nOld text"
    )
    assert clean_body(body, 1500) == "See below, the CFO agrees."


def test_header_lines_inside_a_body_go() -> None:
    assert clean_body("From: a@b.example\nTo: c@d.example\nSubject: Re: x\nWe signed today.", 1500) == (
        "We signed today."
    )


def test_a_signature_and_a_device_line_go() -> None:
    assert clean_body("We need SSO first." + SIGNATURE, 1500) == "We need SSO first."
    assert clean_body("Call me Friday.\n\nSent from my iPhone", 1500) == "Call me Friday."
    assert clean_body("Call me Friday.\n-- \nTom", 1500) == "Call me Friday."


def test_a_sign_off_followed_by_a_long_paragraph_is_not_a_signature() -> None:
    body = "Thanks,\n" + "The procurement team still needs the security questionnaire and the DPA. " * 3
    assert "procurement team" in clean_body(body, 1500)


def test_a_disclaimer_goes() -> None:
    assert clean_body("Budget cut by 30% next year." + DISCLAIMER, 1500) == "Budget cut by 30% next year."


def test_a_long_body_is_cut_after_a_sentence_with_the_marker() -> None:
    text = "First sentence is here. " + "word " * 200
    out = cut(text, 100)
    assert out.endswith(CUT_MARKER) and len(out) <= 100 + len(CUT_MARKER)
    assert cut("First sentence is here. Second one.", 30) == "First sentence is here." + CUT_MARKER
    assert cut("short", 100) == "short"


def test_empty_and_clean_bodies_pass_through() -> None:
    assert clean_body(None, 100) == "" and clean_body("", 100) == ""
    assert clean_body("Tom confirmed SSO works.", 100) == "Tom confirmed SSO works."


def _cases() -> list[dict[str, Any]]:
    spec = yaml.safe_load(SUITE.read_text(encoding="utf-8"))
    wanted = ("risk_kinds", "goal_phrases", "recent_ids")
    return [c for c in spec["cases"] if any(k in c.get("expect", {}) for k in wanted)]


def _noisy(ctx: DealContext) -> DealContext:
    items = [
        a.model_copy(
            update={
                "body": f"From: x@y.example\nSubject: Re: thread\n{a.body}{SIGNATURE}\n\n{QUOTED}{DISCLAIMER}"
            }
        )
        if a.type == "email" and a.body
        else a
        for a in ctx.activities
    ]
    return ctx.model_copy(update={"activities": items})


@pytest.mark.parametrize("noise", [False, True], ids=["demo", "with-mail-noise"])
async def test_every_fact_the_eval_suite_expects_reaches_the_packed_prompt(
    demo: async_sessionmaker[AsyncSession], noise: bool
) -> None:
    cases = _cases()
    assert cases, "the starter suite lost its fact expectations"
    async with demo() as s:
        for case in cases:
            viewer = await load_viewer(s, case.get("account", "demo"), str(case["user"]))
            assert viewer is not None
            ctx = await deal_context(s, str(case["deal"]), viewer, now=DEMO_NOW)
            assert ctx is not None, case["id"]
            if noise:
                ctx = _noisy(ctx)
            packed = pack(ctx, 24_000)
            blocks = {m.group(1): m.group(0).lower() for m in ACTIVITY_BLOCK.finditer(packed.text)}
            expect = case["expect"]
            for aid in expect.get("recent_ids", []):
                assert aid in packed.activity_ids, (case["id"], aid)
            for phrase in expect.get("goal_phrases", []):
                assert any(phrase.lower() in text for text in blocks.values()), (case["id"], phrase)
            for kind in expect.get("risk_kinds", []):
                if kind in RISK_WORDS:  # the others are rule risks, computed from the data, not the prompt
                    words = RISK_WORDS[kind]
                    assert any(w in text for text in blocks.values() for w in words), (case["id"], kind)
            for junk in ("quotednoise", "disclaimernoise", "+1 555 0100", "old@globex.example"):
                assert junk not in packed.text.lower(), (case["id"], junk)
