"""The one door to models: litellm with retries, a bounded total time, JSON answers and accounting.

The pipeline calls models only through here (``budget.context_window`` also asks litellm for a
model's context size). Transient failures (rate limits, timeouts, 5xx, dropped connections) are
retried with exponential backoff inside a total time budget, except a timeout against a server on
loopback (one local server works one request at a time: a retry would queue behind the generation
the client abandoned) or with too little budget left for a whole call. Every call carries
``max_tokens``. The answer's JSON schema is sent in the form the provider accepts (``json_schema``,
llama.cpp's ``json_object`` + ``schema``, or plain ``json_object``); a provider that rejects the form
is asked once in the next plainer form, which is then kept. An answer that is not the JSON we asked
for is asked again once. A provider's failure becomes ``ModelUnavailable`` with a reason
(the insight then degrades to data only); a refusal no retry can fix (a bad key, an unknown model,
a rejected parameter) is logged at ERROR. Anything else, a bug of ours, propagates.
Prompt text is never logged, at any level: litellm's loggers (and the SDKs under it) write whole
requests at DEBUG, so they stay at WARNING unless INSIGHTS_LOG_PROMPTS=true.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlparse

from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from insights.core.config import SchemaMode, Settings

log = logging.getLogger("insights.insight.llm")
T = TypeVar("T", bound=BaseModel)


# unavailable: transient failures outlasted the retries or the time budget; malformed: not the JSON
# asked for, twice; model_misconfigured: the provider refused the request itself (key, model name,
# parameters, context size); provider_error: any other failure the provider or litellm reported.
Reason = Literal["unavailable", "malformed", "model_misconfigured", "provider_error"]
# Enough of a provider's message to say why; an echoed request body (FastAPI-style 422s do that)
# starts with our system prompt, which is longer than this, never with the CRM text after it.
DETAIL_CHARS = 200


class ModelUnavailable(Exception):
    """The model gave no usable answer; ``reason`` says why (the insight degrades to data only)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: Reason = reason


class MalformedAnswer(Exception):
    """The answer was not JSON of the requested shape."""


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    seconds: float = 0.0
    cut: bool = False  # the (last) answer stopped at max_tokens

    def add(self, other: Usage) -> None:
        self.cut = other.cut
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.calls += other.calls
        self.seconds = max(self.seconds, other.seconds)


# Loggers that write whole requests (prompts: CRM text) at DEBUG; "openai" is the SDK under litellm.
PROMPT_LOGGERS = ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router", "litellm", "openai")
_log_prompts = False
_litellm_module: Any = None


def quiet_prompt_loggers(settings: Settings) -> None:
    """Keep the prompt-writing loggers at WARNING whatever the service's level, unless
    INSIGHTS_LOG_PROMPTS=true (then they follow INSIGHTS_LOG_LEVEL)."""
    global _log_prompts
    _log_prompts = settings.log_prompts
    _apply_log_levels(_litellm_module)


def _apply_log_levels(litellm: Any) -> None:
    for name in PROMPT_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if _log_prompts else logging.WARNING)
    if litellm is not None:  # set_verbose makes litellm print() prompts, past any logging config
        litellm.set_verbose = litellm._logging.set_verbose = _log_prompts and litellm.set_verbose


def _litellm() -> Any:
    global _litellm_module
    if _litellm_module is None:
        import litellm

        litellm.suppress_debug_info = True
        _apply_log_levels(litellm)  # its import may have set levels of its own loggers
        _litellm_module = litellm
    return _litellm_module


SchemaForm = Literal["json_schema", "json_object_schema", "json_object"]
PLAINER: dict[SchemaForm, SchemaForm] = {
    "json_schema": "json_object_schema",
    "json_object_schema": "json_object",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def is_loopback(api_base: str | None) -> bool:
    """A server on this machine (llama.cpp, a local vLLM): one generation at a time, no queue to skip."""
    return bool(api_base) and (urlparse(api_base or "").hostname or "") in LOOPBACK


def schema_form(model: str, api_base: str | None, mode: SchemaMode) -> SchemaForm:
    """The response_format form to send first. auto: ``json_schema`` where litellm's model map says the
    model supports response schemas; ``json_object`` + ``schema`` for an OpenAI-compatible server on
    loopback (llama.cpp's server answers ``json_schema`` with a 500); else plain ``json_object``."""
    if mode != "auto":
        return mode
    if is_loopback(api_base):
        return "json_object_schema"
    try:
        if _litellm().supports_response_schema(model=model):
            return "json_schema"
    except Exception:  # an unmapped model: litellm raises instead of answering False
        pass
    return "json_object"


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def answer_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The pydantic schema with its ``$defs`` inlined: grammar converters (llama.cpp) and strictish
    providers take a self-contained schema more reliably than one with references."""
    full = schema.model_json_schema()
    inlined: dict[str, Any] = _inline(full, full.get("$defs", {}))
    return inlined


def response_format(form: SchemaForm, schema: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` value of one form."""
    if form == "json_schema":
        body = {"name": schema.__name__, "schema": answer_schema(schema), "strict": False}
        return {"type": "json_schema", "json_schema": body}
    if form == "json_object_schema":
        return {"type": "json_object", "schema": answer_schema(schema)}
    return {"type": "json_object"}


def _rejects_format(exc: BaseException) -> bool:
    """The provider refused the response_format itself (a 400/422, or llama.cpp's 500, naming it)."""
    status = getattr(exc, "status_code", None)
    text = str(exc).lower()
    return status in (400, 422, 500) and any(w in text for w in ("response_format", "schema", "json"))


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, _litellm().Timeout | asyncio.TimeoutError)


def _transient(exc: BaseException) -> bool:
    litellm = _litellm()
    kinds = (
        litellm.RateLimitError,
        litellm.Timeout,
        litellm.APIConnectionError,
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
        asyncio.TimeoutError,
    )
    if isinstance(exc, kinds):
        return True
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and (status == 429 or status >= 500)


def _misconfigured(exc: BaseException) -> bool:
    litellm = _litellm()
    kinds = (
        litellm.AuthenticationError,
        litellm.PermissionDeniedError,
        litellm.NotFoundError,  # an unknown model name
        litellm.BadRequestError,  # also context window exceeded, unsupported parameters, unknown provider
        litellm.UnprocessableEntityError,
    )
    return isinstance(exc, kinds)


def failure_reason(exc: BaseException) -> Reason | None:
    """Why a model call failed, or None when the failure is not the provider's (a bug of ours)."""
    if _transient(exc):
        return "unavailable"
    if _misconfigured(exc):
        return "model_misconfigured"
    _litellm()  # loads openai, the SDK under it
    from openai import OpenAIError  # the base of every error litellm maps a provider's failure to

    if isinstance(exc, OpenAIError):
        return "provider_error"
    return None


ECHO_CHARS = 16  # a run this long shared with the prompt counts as an echo of it


def _detail(exc: BaseException, messages: list[dict[str, str]]) -> str:
    """The provider's error text for the log, withheld when any part of it echoes the prompt (some
    servers quote the request back): the prompt holds CRM text that must never reach a log line."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."
    if _log_prompts or len(text) < ECHO_CHARS:
        return text
    prompt = " ".join(" ".join(str(msg.get("content", "")).split()) for msg in messages)
    if any(text[i : i + ECHO_CHARS] in prompt for i in range(len(text) - ECHO_CHARS + 1)):
        status = getattr(exc, "status_code", None)
        return f"status {status}: text withheld, it echoes the prompt (INSIGHTS_LOG_PROMPTS=1 shows it)"
    return text


def parse_json(content: str | None, schema: type[T]) -> T:
    text = (content or "").strip()
    if text.startswith("```"):  # some models fence JSON even when asked not to
        text = text.strip("`").removeprefix("json").strip()
    try:
        return schema.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise MalformedAnswer(type(exc).__name__) from None


class LLM:
    """A configured model. ``complete_json`` is the only call the pipeline makes."""

    def __init__(self, settings: Settings) -> None:
        if not settings.model:
            raise ValueError("no model configured")
        self.model = settings.model
        self.settings = settings
        self.local = is_loopback(settings.model_api_base)
        # the form sent first; lowered (and kept) when the provider rejects it
        self.form: SchemaForm = schema_form(
            settings.model, settings.model_api_base, settings.model_schema_mode
        )
        quiet_prompt_loggers(settings)

    @staticmethod
    def warm_up() -> None:
        """Import litellm once at start-up (about 2 s), not on the first request."""
        _litellm()

    async def _call(
        self, messages: list[dict[str, str]], timeout: float, form: dict[str, Any], max_tokens: int
    ) -> tuple[str | None, Usage]:
        litellm = _litellm()
        started = time.perf_counter()
        response = await litellm.acompletion(
            model=self.model,
            messages=messages,
            api_base=self.settings.model_api_base,
            api_key=self.settings.model_api_key,
            timeout=timeout,
            num_retries=0,
            max_retries=0,
            response_format=form,
            max_tokens=max_tokens,
            temperature=0,
        )
        usage = getattr(response, "usage", None)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # unknown price (local models): tokens are still counted
            cost = 0.0
        return response.choices[0].message.content, Usage(
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
            cost_usd=cost,
            calls=1,
            seconds=time.perf_counter() - started,
            cut=response.choices[0].finish_reason == "length",
        )

    def _retryable(self, deadline: float, form: SchemaForm) -> Any:
        def retry(exc: BaseException) -> bool:
            if form != "json_object" and _rejects_format(exc):
                return False  # asked again at once in a plainer form, not after a backoff
            if _timed_out(exc):
                # a local server is still generating the abandoned answer: a retry would queue
                # behind it; elsewhere retry only when a whole call still fits in the budget
                return not self.local and deadline - time.monotonic() >= self.settings.model_timeout_s
            return _transient(exc)

        return retry_if_exception(retry)

    async def _ask(
        self, messages: list[dict[str, str]], schema: type[BaseModel], max_tokens: int, deadline: float
    ) -> tuple[str | None, Usage]:
        """One answer (transient failures retried), in the first form the provider accepts."""
        total = Usage()
        while True:
            form = self.form
            try:
                async for retry in AsyncRetrying(
                    stop=stop_after_attempt(self.settings.model_max_retries + 1),
                    wait=wait_exponential_jitter(initial=0.5, max=8, jitter=0.5),
                    retry=self._retryable(deadline, form),
                    reraise=True,
                ):
                    with retry:
                        remaining = max(0.5, deadline - time.monotonic())
                        content, usage = await self._call(
                            messages,
                            min(self.settings.model_timeout_s, remaining),
                            response_format(form, schema),
                            max_tokens,
                        )
                        total.add(usage)
                return content, total
            except Exception as exc:
                if form == "json_object" or not _rejects_format(exc):
                    raise
                self.form = PLAINER[form]
                log.warning(
                    "provider rejected response_format %s (%s: %s): sending %s from now on",
                    form,
                    type(exc).__name__,
                    _detail(exc, messages),
                    self.form,
                )

    async def complete_json(
        self, messages: list[dict[str, str]], schema: type[T], *, max_tokens: int
    ) -> tuple[T, Usage]:
        """Ask, retrying transient errors with backoff inside the total budget; one retry on bad JSON.
        ``max_tokens`` bounds the answer (a model that never stops would outlast any timeout).

        Raises ``ModelUnavailable`` (with its reason, logged) when the provider fails; any other
        exception is a bug of ours and propagates."""
        total = Usage()
        deadline = time.monotonic() + self.settings.model_total_budget_s
        try:
            async with asyncio.timeout(self.settings.model_total_budget_s):
                for attempt in (1, 2):  # a malformed answer is asked once more
                    content, usage = await self._ask(messages, schema, max_tokens, deadline)
                    total.add(usage)
                    try:
                        return parse_json(content, schema), total
                    except MalformedAnswer:
                        log.warning(
                            "model answer malformed (attempt %d, schema %s%s)",
                            attempt,
                            schema.__name__,
                            ", cut at max_tokens" if usage.cut else "",
                        )
                        if usage.cut and self.local:
                            break  # a local model at temperature 0 would write the same answer again
        except Exception as exc:
            reason = failure_reason(exc)
            if reason is None:
                raise  # our own bug (TypeError, KeyError, ...): a traceback, not a quiet data-only insight
            # a retry or a quieter minute fixes "unavailable"; the others need someone to look
            level = logging.WARNING if reason == "unavailable" else logging.ERROR
            log.log(
                level, "model call failed (%s): %s: %s", reason, type(exc).__name__, _detail(exc, messages)
            )
            raise ModelUnavailable(reason, type(exc).__name__) from exc
        raise ModelUnavailable("malformed", "not the requested JSON twice")
