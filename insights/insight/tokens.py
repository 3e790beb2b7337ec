"""Prompt tokens counted in the model's own tokens, and a packed prompt that always leaves room for
its answer.

tiktoken is the tokenizer of OpenAI's models only. A local model's own tokenizer can count 35 %
more for the same text (a prompt packed to 6,000 tiktoken tokens was 8,126 SmolLM2 tokens, and its
8,192-token window left 66 for the answer). So:
- ``server``: an OpenAI-compatible server that exposes its tokenizer (llama-cpp-python's
  ``POST /extras/tokenize/count``) counts the prompt exactly. ``auto`` uses it for a server on
  loopback; ``INSIGHTS_MODEL_TOKENIZER=server`` for one elsewhere.
- ``tiktoken``: exact for OpenAI models (gpt-*, o*).
- ``tiktoken+margin``: any other model, tiktoken times ``SAFETY_MARGIN``. litellm's
  ``token_counter`` is not used for them: for most non-OpenAI models it downloads a Hugging Face
  tokenizer, and these machines (and many deployments) have no network.
``fit`` packs with tiktoken scaled to the model (the ratio measured on this deal's own text when the
server counts), counts the whole prompt again in the model's tokens and shrinks until prompt +
``max_tokens`` fits the window; a prompt that cannot fit is never sent.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import httpx

from insights.core.config import Settings
from insights.insight.budget import Packed, count_tokens, pack, render_all
from insights.insight.context import DealContext
from insights.insight.llm import is_loopback

log = logging.getLogger("insights.insight.tokens")

# Measured on the demo deals: SmolLM2 (a GPT-2-style BPE) counted 1.31-1.35x cl100k's tokens for the
# same English CRM text; French/Polish text costs more in small vocabularies, hence the round-up.
SAFETY_MARGIN = 1.4
MESSAGE_OVERHEAD = 8  # chat-template tokens around each message (role markers, separators)
MAX_CONTEXT_TOKENS = 24_000  # more rarely helps and always costs
OPENAI_FAMILIES = ("gpt-", "o1", "o3", "o4", "chatgpt", "text-embedding")


@dataclass
class ModelTokens:
    """How prompts are counted for one configured model."""

    model: str
    source: str  # "server" | "tiktoken" | "tiktoken+margin"
    api_base: str | None = None
    timeout_s: float = 10.0

    @classmethod
    def for_settings(cls, settings: Settings) -> ModelTokens:
        model = settings.model or ""
        mode = settings.model_tokenizer
        if settings.model_api_base and (
            mode == "server" or (mode == "auto" and is_loopback(settings.model_api_base))
        ):
            return cls(model, "server", settings.model_api_base)
        name = model.rsplit("/", 1)[-1].lower()
        exact = any(name.startswith(f) for f in OPENAI_FAMILIES)
        return cls(model, "tiktoken" if exact else "tiktoken+margin")

    def estimate(self, text: str, scale: float) -> int:
        return math.ceil(count_tokens(text, self.model) * scale)

    async def server_count(self, text: str) -> int | None:
        """The server's own count, or None when it cannot say (then the margin applies)."""
        assert self.api_base is not None
        root = self.api_base.rstrip("/").removesuffix("/v1")
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                r = await client.post(f"{root}/extras/tokenize/count", json={"input": text})
                r.raise_for_status()
                return int(r.json()["count"])
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            log.warning(
                "model server gave no token count (%s): counting with tiktoken x %.2f",
                type(exc).__name__,
                SAFETY_MARGIN,
            )
            return None

    async def count(self, text: str, scale: float) -> int:
        """Tokens of ``text`` in the model's tokens (exact from the server, else estimated)."""
        if self.source == "server" and (n := await self.server_count(text)) is not None:
            return n
        return self.estimate(text, scale)

    async def scale_for(self, sample: str) -> float:
        """Model tokens per tiktoken token: measured on ``sample`` by the server, else fixed."""
        if self.source == "tiktoken":
            return 1.0
        if self.source == "server" and sample and (n := await self.server_count(sample)) is not None:
            return max(0.5, n / max(1, count_tokens(sample, self.model))) * 1.02  # 2 %: block edges
        return SAFETY_MARGIN


async def fit(
    ctx: DealContext,
    frame: list[str],
    window: int,
    answer_tokens: int,
    tokens: ModelTokens,
    layout: str = "compact",
) -> Packed | None:
    """The context packed so that prompt (``frame``: the other message texts) + context + the answer's
    ``max_tokens`` fits ``window`` in the model's tokens, or None when not even the deal header fits."""
    scale = await tokens.scale_for(render_all(ctx, layout))
    limit = window - answer_tokens
    frame_tokens = sum(tokens.estimate(t, scale) for t in frame) + MESSAGE_OVERHEAD * (len(frame) + 1)
    budget = min(MAX_CONTEXT_TOKENS, limit - frame_tokens)
    for _ in range(4):
        if budget <= 0:
            break
        packed = pack(
            ctx, budget, tokens.model, count=lambda text: tokens.estimate(text, scale), layout=layout
        )
        total = await tokens.count("\n".join([*frame, packed.text]), scale) + MESSAGE_OVERHEAD * (
            len(frame) + 1
        )
        if total <= limit:
            packed.tokens = total
            return packed
        budget -= total - limit + 32  # the estimate was short by this much: shrink and count again
    log.error(
        "prompt does not fit: window %d tokens, answer %d, deal %s (set INSIGHTS_MODEL_CONTEXT_TOKENS?)",
        window,
        answer_tokens,
        ctx.deal.id,
    )
    return None
