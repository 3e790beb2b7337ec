"""The model's part of an insight, and what every answer shows of its sources.

``with_model`` packs the viewer's DealContext into the prompt (``tokens.fit``), asks (combined or
per section), keeps only statements whose citations are activities of that prompt, and records
tokens and drops. The helpers below name recent items and cited sources from the viewer's own
context, so nothing outside it can appear in an answer.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel

from insights.core import metrics
from insights.core.config import CallMode, Settings
from insights.insight.answers import (
    ANSWER_TOKENS,
    SCHEMAS,
    CombinedAnswer,
    GoalsAnswer,
    ModelSections,
    RisksAnswer,
    check_citations,
)
from insights.insight.budget import context_window
from insights.insight.context import ActivityItem, DealContext
from insights.insight.llm import LLM, ModelUnavailable, Usage
from insights.insight.prompts import SECTIONS, PromptSet
from insights.insight.schemas import Basis, Insight, ModelInfo, RecentItem
from insights.insight.tokens import ModelTokens, fit

log = logging.getLogger("insights.insight.service")  # the name operators filter "insight built" by
LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pl": "Polish",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
}


def _title(a: ActivityItem) -> str:
    if a.title:
        return a.title
    text = (a.body or "").strip().split("\n", 1)[0]
    return (text[:77] + "…") if len(text) > 80 else (text or a.type.capitalize())


def recent_items(ctx: DealContext) -> list[RecentItem]:
    return [
        RecentItem(activity_id=a.id, type=a.type, occurred_at=a.occurred_at, title=_title(a))
        for a in ctx.recent(5)
    ]


def basis_of(ctx: DealContext) -> Basis:
    """What the viewer's current view counts: the basis of every answer built or served from it."""
    return Basis(
        activity_count=ctx.activity_count,
        activity_count_capped=ctx.activity_count_capped,
        newest_activity_at=ctx.newest_activity_at,
        truncated=ctx.truncated,
    )


def name_sources(insight: Insight, ctx: DealContext) -> Insight:
    """Each risk's and goal's cited activities named like recent items (type, date, title), from the
    viewer's own context: a citation outside it was already dropped, so nothing new is revealed."""
    known = {a.id: a for a in ctx.activities}

    def named(ids: list[str]) -> list[RecentItem]:
        return [
            RecentItem(activity_id=a.id, type=a.type, occurred_at=a.occurred_at, title=_title(a))
            for i in ids
            if (a := known.get(i)) is not None
        ]

    return insight.model_copy(
        update={
            "risks": [r.model_copy(update={"sources": named(r.activity_ids)}) for r in insight.risks],
            "buyer_goals": [
                g.model_copy(update={"sources": named(g.activity_ids)}) for g in insight.buyer_goals
            ],
        }
    )


def build_messages(prompts: PromptSet, language: str, context_text: str, task: str) -> list[dict[str, str]]:
    """System rules, then the (shared, cacheable) context prefix, then the section's task last."""
    system = prompts.system.format(language_name=LANGUAGES.get(language, language))
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{context_text}\n\n---\n{task}"},
    ]


async def with_model(
    llm: LLM,
    tokens: ModelTokens,
    settings: Settings,
    prompts: PromptSet,
    mode: CallMode,
    ctx: DealContext,
    insight: Insight,
    language: str,
) -> Insight:
    """The data-only ``insight`` with the model's sections: the viewer's context packed to fit the
    model's window, one combined call or three section calls, each statement kept only when its
    citations are activities of the packed prompt. A failure degrades to data only, with its reason."""
    window = context_window(llm.model, settings.model_context_tokens)
    recent_ids = ", ".join(a.id for a in ctx.recent(5))
    cap = settings.model_max_output_tokens
    calls = (
        [(prompts.combined, CombinedAnswer)]
        if mode == "combined"
        else [(prompts.sections[s], SCHEMAS[s]) for s in SECTIONS]
    )
    system = build_messages(prompts, language, "", "")[0]["content"]
    longest = max((task.format(recent_ids=recent_ids) for task, _ in calls), key=len)
    answer_tokens = max(min(cap, ANSWER_TOKENS[schema]) for _, schema in calls)
    packed = await fit(ctx, [system, "\n\n---\n" + longest], window, answer_tokens, tokens, prompts.packing)
    if packed is None:  # never send a prompt that leaves no room for its answer
        return insight.model_copy(update={"reason": "model_unavailable"})
    usage = Usage()
    out = ModelSections()

    async def ask(task: str, schema: type[BaseModel]) -> BaseModel | None:
        messages = build_messages(prompts, language, packed.text, task.format(recent_ids=recent_ids))
        try:
            answer, used = await llm.complete_json(
                messages, schema, max_tokens=min(cap, ANSWER_TOKENS[schema])
            )
        except ModelUnavailable:
            metrics.MODEL_CALLS.labels("failed").inc()
            out.failed += 1
            return None
        metrics.MODEL_CALLS.labels("ok").inc()
        usage.add(used)
        return answer

    if mode == "combined":
        combined = await ask(prompts.combined, CombinedAnswer)
        answers: dict[str, BaseModel] = {}
        if isinstance(combined, CombinedAnswer):
            answers = {
                "recent_activity": combined.recent_activity,
                "risks": RisksAnswer(risks=combined.risks),
                "buyer_goals": GoalsAnswer(goals=combined.buyer_goals),
            }
        expected = 1
    else:
        results = await asyncio.gather(*(ask(prompts.sections[s], SCHEMAS[s]) for s in SECTIONS))
        answers = {s: r for s, r in zip(SECTIONS, results, strict=True) if r is not None}
        expected = len(SECTIONS)
    check_citations(answers, set(packed.activity_ids), out)
    metrics.TOKENS.labels("input").inc(usage.input_tokens)
    metrics.TOKENS.labels("output").inc(usage.output_tokens)
    for why, n in out.dropped_reasons.items():
        metrics.DROPPED.labels(why).inc(n)
    model = ModelInfo(
        name=llm.model,
        prompt_version=prompts.version,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=round(usage.cost_usd, 6),
        dropped_statements=out.dropped,
        dropped_reasons=dict(sorted(out.dropped_reasons.items())),
    )
    basis = insight.basis.model_copy(update={"truncated": insight.basis.truncated or packed.truncated})
    if out.failed == expected:
        return insight.model_copy(update={"reason": "model_unavailable", "model": model, "basis": basis})
    log.info(
        "insight built: deal=%s activities=%d tokens=%d/%d kept=%d dropped=%d %s",
        ctx.deal.id,
        len(packed.activity_ids),
        usage.input_tokens,
        usage.output_tokens,
        out.kept,
        out.dropped,
        dict(out.dropped_reasons),
    )
    if out.kept == 0:  # the model answered, yet nothing it said survived the citation check
        return insight.model_copy(update={"reason": "no_valid_statements", "model": model, "basis": basis})
    return insight.model_copy(
        update={
            "status": "ai",
            "model": model,
            "basis": basis,
            "recent_activity": insight.recent_activity.model_copy(update={"summary": out.summary}),
            "risks": insight.risks + (out.risks or []),
            "buyer_goals": out.goals or [],
        }
    )
