"""The one fake model: an OpenAI-compatible chat completion with no model behind it.

Used by the tests (``scripted()`` as a respx side effect on litellm's real HTTP path), the eval
harness (``respond()`` records the starter suite offline) and the benchmarks
(``evals/perf/mock_model.py`` serves ``scripted_body()`` over HTTP after a delay).

It finds its task from the request's structure, not from English words in the prompt:
``build_messages`` puts the section's task after the last ``\\n---\\n`` of the user message, and
the task is one of the prompt files of ``insights/prompts/<version>/``, recognised by its first
line (read from the files, so rewording a prompt needs no change here). A task no prompt file
defines gets ``{}``: the fake cannot place the question, so the eval compare gate sees a prompt
that asks the wrong thing fail instead of being answered as if nothing had changed.

Two ways to answer, both citing only ids the request showed:
- ``scripted_answer``: fixed sentences citing the first shown ids (tests, benchmarks);
- ``keyword_answer``: keyword rules over the activity text, NOT a model (the starter suite's
  recordings; they prove the harness and the deterministic checks, never quality).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import httpx

from insights.insight.budget import ACTIVITY_BLOCK
from insights.insight.prompts import load_prompts, versions

API_BASE = "http://mock-llm.test/v1"
URL = f"{API_BASE}/chat/completions"
MODEL = "openai/gpt-4o-mini"
TASK_SEPARATOR = "\n---\n"  # build_messages: shared context, separator, the section's task last
ACTIVITY_ID = re.compile(r"^\[([^\]\s]+)\] ", re.M)  # the activity header budget.pack writes
Cite = Callable[[list[str]], list[str]]


def completion(
    content: str, prompt_tokens: int = 1000, completion_tokens: int = 80, model: str = "gpt-4o-mini"
) -> dict[str, Any]:
    """An OpenAI chat-completion body whose one choice says ``content``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _body(request: httpx.Request | dict[str, Any]) -> dict[str, Any]:
    if isinstance(request, httpx.Request):
        body: dict[str, Any] = json.loads(request.content)
        return body
    return request


def prompt_of(request: httpx.Request | dict[str, Any]) -> str:
    """Every message's content, joined: what the model was shown."""
    return "\n".join(m["content"] for m in _body(request)["messages"])


def context_and_task(request: httpx.Request | dict[str, Any]) -> tuple[str, str]:
    """The user message split where ``build_messages`` joined the context and the task."""
    context, _, task = _body(request)["messages"][-1]["content"].rpartition(TASK_SEPARATOR)
    return context, task


def shown_ids(text: str) -> list[str]:
    """Activity ids in the order the request's activity headers show them."""
    return ACTIVITY_ID.findall(text)


def _head(template: str) -> str:
    """A task's first line up to its first placeholder: the same in the file and the request."""
    return template.split("\n", 1)[0].split("{", 1)[0].replace("{{", "{").strip()


@lru_cache
def _task_heads() -> tuple[tuple[str, str], ...]:
    heads: list[tuple[str, str]] = []
    for version in versions():
        prompts = load_prompts(version)
        heads.append((_head(prompts.combined), "combined"))
        heads += [(_head(text), section) for section, text in prompts.sections.items()]
    return tuple(heads)


def task_kind(task: str) -> str | None:
    """Which prompt file the task came from: a section name, ``combined``, or None (unknown).

    A first line that is a shortened form of a file's first line counts too, so a test can send a
    minimal request (``"x\\n---\\nTask: write the three sections"``).
    """
    line = task.split("\n", 1)[0].strip()
    for head, kind in _task_heads():
        if line and (line.startswith(head) or head.startswith(line)):
            return kind
    return None


def section_of(request: httpx.Request | dict[str, Any]) -> str | None:
    """The task of a request: ``recent_activity``, ``risks``, ``buyer_goals``, ``combined``."""
    return task_kind(context_and_task(request)[1])


def _shaped(kind: str | None, recent: dict[str, Any], risks: list[Any], goals: list[Any]) -> dict[str, Any]:
    """The answer in the shape the prompt file of ``kind`` asks for."""
    if kind == "combined":
        return {"recent_activity": recent, "risks": risks, "buyer_goals": goals}
    if kind == "recent_activity":
        return recent
    if kind == "risks":
        return {"risks": risks}
    if kind == "buyer_goals":
        return {"goals": goals}
    return {}


def scripted_answer(kind: str | None, ids: list[str], cite: Cite | None = None) -> dict[str, Any]:
    """Fixed sentences, each citing ``cite(ids)`` (by default the first two shown ids)."""
    cited = (cite or (lambda shown: shown[:2]))(ids)
    recent = {"summary": "Recent calls and meetings covered pricing and rollout.", "activity_ids": cited}
    risks = [{"text": "The buyer mentioned budget pressure.", "kind": "budget", "activity_ids": cited}]
    goals = [{"text": "Consolidate tools into one platform.", "activity_ids": cited}]
    return _shaped(kind, recent, risks, goals)


def scripted_body(body: dict[str, Any], cite: Cite | None = None) -> dict[str, Any]:
    """The completion for a request body: the scripted answer to its task."""
    answer = scripted_answer(section_of(body), shown_ids(prompt_of(body)), cite)
    return completion(json.dumps(answer))


def scripted(cite: Cite | None = None) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect answering every section well, citing ids it was shown (or ``cite``'s pick)."""

    def respond_to(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=scripted_body(_body(request), cite))

    return respond_to


# -- keyword rules: the eval suites' offline recordings ------------------------------------------
RISK_WORDS = {
    "budget": ("budget", "cut by", "reduce seats", "cost"),
    "competitor": ("compare", "competitor", "offer from", "initech's offer"),
    "timeline": ("on hold", "delay", "postpone", "pushed"),
    "champion": ("new vp", "leaving", "left the company"),
    "buyer_uncertainty": ("not sure", "unsure", "hesitant", "no-show", "nobody from"),
}
GOAL = re.compile(r"(?:goal:|souhaite|wants? to|want a)\s*([^.\n]{5,90})")


def keyword_answer(context: str, kind: str | None) -> dict[str, Any]:
    """Risks and goals found by keyword rules in the activity blocks of ``context``."""
    blocks = [(m.group(1), m.group(0).lower()) for m in ACTIVITY_BLOCK.finditer(context)]
    risks = []
    for risk_kind, words in RISK_WORDS.items():
        hits = [aid for aid, text in blocks if any(w in text for w in words)][:2]
        if hits:
            risks.append(
                {
                    "text": f"Signals of {risk_kind.replace('_', ' ')} in recent activity.",
                    "kind": risk_kind,
                    "activity_ids": hits,
                }
            )
    goals = [
        {"text": m.group(1).strip().capitalize(), "activity_ids": [aid]}
        for aid, text in blocks
        for m in GOAL.finditer(text)
    ]
    recent = {
        "summary": "Recent activity: " + "; ".join(t.split("\n", 1)[0][:60] for _, t in blocks[:3]),
        "activity_ids": [a for a, _ in blocks[:3]],
    }
    return _shaped(kind, recent, risks[:5], goals[:5])


def judge_answer(context: str, task: str) -> dict[str, Any]:
    """The faithfulness judge's verdict by word overlap: supported when a word of five letters or
    more of the statement appears in the cited activities (a rule, not a judgement)."""
    statement = task.split("Statement:", 1)[-1].split("\n", 1)[0].lower()
    words = {w for w in re.findall(r"[a-z]{5,}", statement)}
    shared = sorted(w for w in words if w in context.lower())
    return {"supported": bool(shared), "reason": f"shared words: {', '.join(shared[:3]) or 'none'}"}


def respond(body: dict[str, Any]) -> dict[str, Any]:
    """The keyword-rule completion for a request body (``evals/harness.py`` record mode)."""
    from evals.judge import TASK_HEAD  # the judge's task line

    user = body["messages"][-1]["content"]
    context, task = context_and_task(body)
    answer = (
        judge_answer(context, task)
        if task.startswith(TASK_HEAD)
        else keyword_answer(context, task_kind(task))
    )
    content = json.dumps(answer)
    return {
        **completion(content, len(user) // 4, len(content) // 4, model="scripted-fake"),
        "id": "fake",
        "created": 0,
    }
