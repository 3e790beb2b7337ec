"""A scripted fake model for recording suites offline. NOT a model: keyword rules over the prompt.

No model is reachable from the machines this project is built on, so the starter suite's
recordings come from here. They prove the harness and the deterministic checks, never quality.
"""

from __future__ import annotations

import json
import re
from typing import Any

RISK_WORDS = {
    "budget": ("budget", "cut by", "reduce seats", "cost"),
    "competitor": ("compare", "competitor", "offer from", "initech's offer"),
    "timeline": ("on hold", "delay", "postpone", "pushed"),
    "champion": ("new vp", "leaving", "left the company"),
    "buyer_uncertainty": ("not sure", "unsure", "hesitant", "no-show", "nobody from"),
}
BLOCK = re.compile(r"^\[([^\]\s]+)\] (\w+) [^\n]*(?:\n<<<DATA\n(.*?)\nDATA>>>)?", re.M | re.S)


def respond(body: dict[str, Any]) -> dict[str, Any]:
    user = body["messages"][-1]["content"]
    context, _, task = user.rpartition("\n---\n")
    blocks = [(m.group(1), m.group(0).lower()) for m in BLOCK.finditer(context)]
    risks = []
    for kind, words in RISK_WORDS.items():
        hits = [aid for aid, text in blocks if any(w in text for w in words)][:2]
        if hits:
            risks.append(
                {
                    "text": f"Signals of {kind.replace('_', ' ')} in recent activity.",
                    "kind": kind,
                    "activity_ids": hits,
                }
            )
    goals = []
    for aid, text in blocks:
        for m in re.finditer(r"(?:goal:|souhaite|wants? to|want a)\s*([^.\n]{5,90})", text):
            goals.append({"text": m.group(1).strip().capitalize(), "activity_ids": [aid]})
    recent = blocks[:5]
    summary = {
        "summary": "Recent activity: " + "; ".join(t.split("\n", 1)[0][:60] for _, t in recent[:3]),
        "activity_ids": [a for a, _ in recent][:3],
    }
    if task.startswith("Task: write the three sections"):
        answer: dict[str, Any] = {"recent_activity": summary, "risks": risks[:5], "buyer_goals": goals[:5]}
    elif task.startswith("Task: summarise"):
        answer = summary
    elif "potential risks" in task:
        answer = {"risks": risks[:5]}
    else:
        answer = {"goals": goals[:5]}
    words = len(user) // 4
    return {
        "id": "fake",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted-fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": json.dumps(answer)},
            }
        ],
        "usage": {
            "prompt_tokens": words,
            "completion_tokens": len(json.dumps(answer)) // 4,
            "total_tokens": words + len(json.dumps(answer)) // 4,
        },
    }
