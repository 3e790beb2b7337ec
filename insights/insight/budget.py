"""Fit a DealContext into the model's context budget: newest first, whole headers.

Counting is ``pack``'s ``count`` argument (tiktoken by default); ``tokens.fit`` passes one in the
model's own tokens and checks the packed prompt against the window.

Two layouts, chosen by the prompt version (``packing.txt`` in its folder):
- ``full`` (``v1``): each activity a header line (id, type, time, title, who) and its text, cleaned
  of quoted replies, signatures and disclaimers (``clean.py``), fenced between ``<<<DATA`` and
  ``DATA>>>``;
- ``compact`` (``v2``, ``compact.py``): the same activities and ids in fewer tokens.
The model can tell data from instructions in both. Long bodies are trimmed first; an activity that
still does not fit is left out with everything older, and the result says ``truncated``. A header
(which carries the id the model must cite) is never cut.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import tiktoken

from insights.insight.clean import clean_body
from insights.insight.compact import DAY_LINE, FENCE_CLOSE, FENCE_OPEN, CompactLayout
from insights.insight.context import ActivityItem, DealContext

log = logging.getLogger("insights.insight.budget")

BODY_CHARS = 1500  # longest body kept whole; longer ones are trimmed before anything is dropped
MIN_BODY_CHARS = 200
DEFAULT_WINDOW = 8192  # a safe context size when neither the setting nor litellm knows the model
LAYOUTS = ("full", "compact")
# One activity block as either layout writes it (group 1: the id, 2: the type), for what reads a
# prompt back: the evals' fake model and judge. full: its body fenced; compact: the lines under it.
ACTIVITY_BLOCK = re.compile(
    r"^\[([^\]\s]+)\] (\w+)[^\n]*"
    rf"(?:\n{FENCE_OPEN}\n.*?\n{FENCE_CLOSE}|(?:\n(?!\[[^\]\s]+\] |{FENCE_CLOSE}$|{DAY_LINE}|$)[^\n]*)*)",
    re.M | re.S,
)


@lru_cache
def encoding_for(model: str | None) -> tiktoken.Encoding:
    name = (model or "").lower()
    return tiktoken.get_encoding(
        "o200k_base"
        if any(k in name for k in ("gpt-4o", "gpt-4.1", "o1", "o3", "o4", "gpt-5"))
        else "cl100k_base"
    )


def count_tokens(text: str, model: str | None = None) -> int:
    return len(encoding_for(model).encode(text, disallowed_special=()))


def context_window(model: str | None, override: int | None = None) -> int:
    """Input tokens the model accepts: the setting, else litellm's model info, else a safe 8k."""
    if override:
        return override
    return (_known_window(model) if model else None) or DEFAULT_WINDOW


@lru_cache  # once per model: the warning below is a setting to fix, not news on every insight
def _known_window(model: str) -> int | None:
    import litellm

    try:
        info = litellm.get_model_info(model)
    # offline litellm knows no ollama/vllm models; it raises ModelNotMappedError or a bare Exception
    except Exception as exc:
        log.warning(
            "no context size known for model %s (%s: %s): using %d tokens; set INSIGHTS_MODEL_CONTEXT_TOKENS",
            model,
            type(exc).__name__,
            str(exc)[:200],
            DEFAULT_WINDOW,
        )
        return None
    return int(info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_WINDOW)


def _fence(text: str) -> str:
    # a body can't close the fence early: the marker is defused inside data
    safe = text.replace(FENCE_CLOSE, "DATA> >>").replace(FENCE_OPEN, "<< <DATA")
    return f"{FENCE_OPEN}\n{safe}\n{FENCE_CLOSE}"


def render_deal(ctx: DealContext) -> str:
    d = ctx.deal
    stage = d.stage.label or d.stage.id or "unknown"
    state = "closed won" if d.stage.is_won else "closed lost" if d.stage.is_closed else "open"
    lines = [
        f"Deal: {d.name} (id {d.id})",
        f"Stage: {stage} ({state}); amount: {d.amount if d.amount is not None else 'unknown'}; "
        f"close date: {d.close_date.date().isoformat() if d.close_date else 'none'}",
        f"Owner: {d.owner_name or d.owner_id or 'unassigned'}; next step: {d.next_step or 'none'}; "
        f"deal score: {d.deal_score if d.deal_score is not None else 'none'}",
        f"Today: {ctx.now.date().isoformat()}",
    ]
    if ctx.contacts:
        lines.append(
            "Contacts: "
            + "; ".join(f"{c.name}{f' ({c.job_title})' if c.job_title else ''}" for c in ctx.contacts)
        )
    if ctx.companies:
        lines.append("Companies: " + "; ".join(c.name for c in ctx.companies))
    if ctx.upcoming_meetings:
        lines.append(
            "Upcoming meetings: "
            + "; ".join(
                f"{m.occurred_at.date().isoformat()} {m.title or ''}".strip()
                for m in ctx.upcoming_meetings[:5]
            )
        )
    return "\n".join(lines)


def render_activity(a: ActivityItem, body_chars: int = BODY_CHARS) -> str:
    parts = [f"[{a.id}] {a.type} {a.occurred_at.strftime('%Y-%m-%d %H:%M')}"]
    if a.title:
        parts.append(f"title: {a.title}")
    if a.type == "email":
        parts.append(f"{(a.email_direction or '').lower() or 'email'} from {a.from_email or '?'}")
    if a.type == "meeting" and a.meeting_outcome:
        parts.append(f"outcome: {a.meeting_outcome}")
    if a.type == "call" and (a.call_status or a.call_disposition):
        parts.append(f"call: {a.call_status or ''} {a.call_disposition or ''}".strip())
    header = " | ".join(parts)
    body = clean_body(a.body, body_chars)  # quoted replies, signatures, disclaimers out; cut with a marker
    return header + ("\n" + _fence(body) if body else "")


class Layout(Protocol):
    """How activities are written into the prompt (``full`` or ``compact``)."""

    sep: str  # between the head and blocks, and between blocks
    tail: str  # after the last block ("" for none)
    cut_text: bool  # a kept block left text out on purpose (beyond the trimming ``pack`` does)

    def head(self, deal_text: str) -> str: ...

    def block(self, a: ActivityItem, position: int, limit: int) -> str: ...

    def accept(self) -> None: ...


class FullLayout:
    """Prompt ``v1``: one fenced block per activity, byte for byte what its recordings were made on."""

    sep = "\n\n"
    tail = ""
    cut_text = False

    def head(self, deal_text: str) -> str:
        return deal_text + "\n\nActivities (newest first):"

    def block(self, a: ActivityItem, position: int, limit: int) -> str:
        return render_activity(a, limit)

    def accept(self) -> None:
        pass


def layout_for(name: str, ctx: DealContext) -> Layout:
    if name == "full":
        return FullLayout()
    if name == "compact":
        return CompactLayout(ctx)
    raise ValueError(f"unknown packing layout {name!r}; known: {', '.join(LAYOUTS)}")


@dataclass
class Packed:
    text: str
    activity_ids: list[str] = field(default_factory=list)
    tokens: int = 0
    truncated: bool = False


def pack(
    ctx: DealContext,
    budget_tokens: int,
    model: str | None = None,
    count: Callable[[str], int] | None = None,
    layout: str = "compact",
) -> Packed:
    """Deal header plus as many activities as fit, newest first, counted by ``count`` (tiktoken)."""
    count = count or (lambda text: count_tokens(text, model))
    out = layout_for(layout, ctx)
    head = out.head(render_deal(ctx))
    used = count(head)
    closing = count(out.tail) + 1 if out.tail else 0  # the fence's close, sent after the last block
    blocks, ids = [head], []
    truncated = ctx.truncated  # the retriever already kept only the newest 100
    for i, a in enumerate(ctx.activities):
        block = out.block(a, i, BODY_CHARS)
        cost = count(block) + 1
        if used + cost + closing > budget_tokens and a.body and len(a.body) > MIN_BODY_CHARS:
            block = out.block(a, i, MIN_BODY_CHARS)
            cost = count(block) + 1
            truncated = True
        if used + cost + closing > budget_tokens:
            truncated = True
            break
        out.accept()
        blocks.append(block)
        ids.append(a.id)
        used += cost
    if ids and out.tail:
        blocks.append(out.tail)
        used += closing
    return Packed(out.sep.join(blocks), ids, used, truncated or out.cut_text)


def render_all(ctx: DealContext, layout: str = "compact") -> str:
    """Everything ``pack`` could send, with no budget (the sample a model server's ratio is measured on)."""
    if layout == "full":  # v1's sample exactly as recorded (token counts are replayed by their text)
        return "\n\n".join([render_deal(ctx), *(render_activity(a) for a in ctx.activities)])
    out = layout_for(layout, ctx)
    blocks = [out.head(render_deal(ctx))]
    for i, a in enumerate(ctx.activities):
        blocks.append(out.block(a, i, BODY_CHARS))
        out.accept()
    return out.sep.join([*blocks, out.tail] if ctx.activities else blocks)


def naive_prompt(ctx: DealContext) -> str:
    """What pasting the whole timeline would send (for the token benchmark only)."""
    return (
        render_deal(ctx)
        + "\n\n"
        + "\n\n".join(
            f"[{a.id}] {a.type} {a.occurred_at.isoformat()} {a.title or ''}\n{a.body or ''}"
            for a in ctx.activities
        )
    )
