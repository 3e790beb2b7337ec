"""A scripted OpenAI-compatible model behind respx: the real litellm code path, no network.

It answers each section from the prompt it receives, citing the activity ids it was shown, so the
tests can check what reached the model and what the pipeline did with the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx

API_BASE = "http://mock-llm.test/v1"
URL = f"{API_BASE}/chat/completions"
MODEL = "openai/gpt-4o-mini"


def completion(content: str, prompt_tokens: int = 1000, completion_tokens: int = 80) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def prompt_of(request: httpx.Request) -> str:
    return "\n".join(m["content"] for m in json.loads(request.content)["messages"])


def section_of(request: httpx.Request) -> str:
    task = prompt_of(request).rsplit("\n---\n", 1)[-1]
    if task.startswith("Task: write the three sections"):
        return "combined"
    if task.startswith("Task: summarise"):
        return "recent_activity"
    if "potential risks" in task:
        return "risks"
    return "buyer_goals"


def answer_for(section: str, ids: list[str], cite: Callable[[list[str]], list[str]] | None = None) -> dict:
    cited = (cite or (lambda i: i[:2]))(ids)
    recent = {"summary": "Recent calls and meetings covered pricing and rollout.", "activity_ids": cited}
    risks = [{"text": "The buyer mentioned budget pressure.", "kind": "budget", "activity_ids": cited}]
    goals = [{"text": "Consolidate tools into one platform.", "activity_ids": cited}]
    return {
        "recent_activity": recent,
        "risks": {"risks": risks},
        "buyer_goals": {"goals": goals},
        "combined": {"recent_activity": recent, "risks": risks, "buyer_goals": goals},
    }[section]


def scripted(
    cite: Callable[[list[str]], list[str]] | None = None,
) -> Callable[[httpx.Request], httpx.Response]:
    """A model that answers every section well, citing ids it was shown (or what ``cite`` picks)."""

    def respond(request: httpx.Request) -> httpx.Response:
        ids = re.findall(r"^\[([^\]\s]+)\] ", prompt_of(request), re.M)
        return httpx.Response(200, json=completion(json.dumps(answer_for(section_of(request), ids, cite))))

    return respond
