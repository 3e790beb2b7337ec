"""The one fake model finds its task from the request's structure and answers in the asked shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from evals.fake_model import URL, respond, scripted, section_of
from insights.insight.answers import SCHEMAS, CombinedAnswer
from insights.insight.ask import build_messages
from insights.insight.prompts import SECTIONS, load_prompts, versions

CONTEXT = (
    "Deal: Acme renewal (id 9001)\n\nActivities (newest first):\n\n"
    "[e-2] email 2026-11-18 09:00 | title: Budget\n<<<DATA\nOur budget was cut by 20%.\nDATA>>>\n\n"
    "[m-1] meeting 2026-11-14 15:00 | title: Demo\n<<<DATA\nGoal: one platform for all teams.\nDATA>>>\n\n"
    "[n-0] note 2026-11-10 10:00"
)
TASKS = [(v, kind) for v in versions() for kind in (*SECTIONS, "combined")]


def request_for(version: str, kind: str, context: str = CONTEXT) -> dict[str, Any]:
    prompts = load_prompts(version)
    task = prompts.combined if kind == "combined" else prompts.sections[kind]
    return {"messages": build_messages(prompts, "en", context, task.format(recent_ids="e-2, m-1, n-0"))}


def cited_ids(node: Any) -> list[str]:
    """Every id under an ``activity_ids`` key, at any depth of the answer."""
    if isinstance(node, dict):
        return [i for k, v in node.items() for i in (v if k == "activity_ids" else cited_ids(v))]
    if isinstance(node, list):
        return [i for item in node for i in cited_ids(item)]
    return []


def schema(kind: str) -> type[BaseModel]:
    return CombinedAnswer if kind == "combined" else SCHEMAS[kind]


@pytest.mark.parametrize(("version", "kind"), TASKS)
def test_every_prompt_file_is_recognised_and_answered_in_its_shape(version: str, kind: str) -> None:
    body = request_for(version, kind)
    assert section_of(body) == kind
    scripted_reply = scripted()(httpx.Request("POST", URL, json=body)).json()
    keyword_reply = respond(body)
    for reply in (scripted_reply, keyword_reply):
        schema(kind).model_validate_json(reply["choices"][0]["message"]["content"])


@pytest.mark.parametrize(("version", "kind"), TASKS)
def test_answers_cite_only_ids_the_request_showed(version: str, kind: str) -> None:
    body = request_for(version, kind)
    for reply in (scripted()(httpx.Request("POST", URL, json=body)).json(), respond(body)):
        cited = set(cited_ids(json.loads(reply["choices"][0]["message"]["content"])))
        assert cited and cited <= {"e-2", "m-1", "n-0"}


def test_the_keyword_rules_read_the_activity_text() -> None:
    answer = json.loads(respond(request_for("v1", "combined"))["choices"][0]["message"]["content"])
    assert [(r["kind"], r["activity_ids"]) for r in answer["risks"]] == [("budget", ["e-2"])]
    assert [g["activity_ids"] for g in answer["buyer_goals"]] == [["m-1"]]


def test_a_task_no_prompt_file_defines_gets_an_empty_answer() -> None:
    body = {
        "messages": [{"role": "user", "content": f"{CONTEXT}\n\n---\nTask: write a poem about the deal."}]
    }
    assert section_of(body) is None
    assert json.loads(respond(body)["choices"][0]["message"]["content"]) == {}
    assert (
        scripted()(httpx.Request("POST", URL, json=body)).json()["choices"][0]["message"]["content"] == "{}"
    )


def test_cite_picks_which_shown_ids_are_cited() -> None:
    body = request_for("v1", "risks")
    reply = scripted(cite=lambda ids: ids[-1:])(httpx.Request("POST", URL, json=body)).json()
    [risk] = json.loads(reply["choices"][0]["message"]["content"])["risks"]
    assert risk["activity_ids"] == ["n-0"]
