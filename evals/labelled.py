"""A labelled eval suite with ground truth nobody wrote by hand: the scale generator's account,
teams, users and deals (``insights.crm.generate``), with signals planted on each deal's timeline
and labelled with the ids of the activities that carry them.

Per deal (owned by a rep): one or two risk signals (budget cut, competitor, champion leaving,
timeline slip) in activities the owner owns, sometimes a stated goal, sometimes a no-show as the
last meeting, and sometimes a signal in an email owned by a rep of another team, which the owner
may not see (email scope ``owned``) and the super admin may. Three viewers per deal:
- the owner: must find the signals they may see, never the hidden email's text or id;
- the super admin: must find every signal;
- the other team's rep: may not see the deal at all.
Neutral activities use words none of the signals use, so precision is measurable.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from insights.crm.generate import generate

NOW = datetime.fromisoformat("2026-11-02T12:00:00+00:00")
ACCOUNT = "labelled"
SIGNALS: dict[str, tuple[str, ...]] = {
    "budget": (
        "Finance told us the budget was cut by 20% for next year; we may have to reduce seats.",
        "Our budget for this project is frozen after the reorganisation.",
    ),
    "competitor": (
        "We received an offer from a competitor and want to compare it with yours.",
        "Procurement asked us to evaluate a competitor before signing.",
    ),
    "champion": (
        "Heads-up: our sponsor is leaving the company at the end of the month.",
        "A new VP joined and will own this decision from now on.",
    ),
    "timeline": (
        "The rollout is on hold until the second quarter.",
        "We need to postpone the signature by two months.",
    ),
}
GOALS = (
    "consolidate reporting into one dashboard",
    "automate invoice matching for the finance team",
    "shorten onboarding of new staff",
    "replace the spreadsheets used for planning",
    "give field teams offline access",
)
NEUTRAL = (
    "Walked through the agenda for the workshop next week.",
    "Shared the slides from the demo and the recording link.",
    "Confirmed the attendee list for the kickoff session.",
    "Answered questions about the admin console and user roles.",
    "Sent the documentation for the reporting module.",
)


def _read(path: Path) -> dict[str, Any]:
    """The generator's JSON Lines as one import document (``{"account": …, "deals": [...], …}``)."""
    doc: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["type"] == "account":
            doc["account"] = row["record"]
        else:
            doc.setdefault(row["type"], []).append(row["record"])
    return doc


def _activity(
    kind: str, aid: str, owner: str, at: datetime, deal: str, text: str, **extra: str
) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    props = {"hs_timestamp": stamp, "hubspot_owner_id": owner}
    if kind == "emails":
        props |= {
            "hs_email_direction": "INCOMING_EMAIL",
            "hs_email_subject": "Re: next steps",
            "hs_email_text": text,
        }
    elif kind == "meetings":
        props |= {
            "hs_meeting_title": "Project meeting",
            "hs_meeting_body": text,
            "hs_meeting_start_time": stamp,
        }
    else:
        props |= {"hs_note_body": text}
    props |= extra
    return {
        "id": aid,
        "properties": props,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "associations": {"deals": {"results": [{"id": deal}]}},
    }


def build(out: Path, deals: int = 40, seed: int = 16) -> int:
    """Write ``fixture.json`` and ``suite.yaml`` into ``out``; returns the number of cases."""
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        generate(
            Path(tmp) / "g.jsonl", deals=deals * 2, activities=0, users=24, seed=seed, account_id=ACCOUNT
        )
        doc = _read(Path(tmp) / "g.jsonl")
    teams = {o["id"]: {t["id"] for t in o["teams"]} for o in doc["owners"]}
    reps = [o["id"] for o in doc["owners"] if o["permissionSetId"] == "rep"]
    admin = next(o["id"] for o in doc["owners"] if o["superAdmin"])
    chosen = [d for d in doc["deals"] if d["properties"]["hubspot_owner_id"] in reps][:deals]
    acts: dict[str, list[dict[str, Any]]] = {"emails": [], "meetings": [], "notes": []}
    cases: list[dict[str, Any]] = []
    for d in chosen:
        did, owner = d["id"], d["properties"]["hubspot_owner_id"]
        stranger = rnd.choice([r for r in reps if not teams[r] & teams[owner]])
        day = iter(range(1, 40))

        def at() -> datetime:
            return NOW - timedelta(days=next(day), hours=rnd.randint(0, 8))  # noqa: B023 (used at once)

        for i in range(rnd.randint(2, 4)):
            kind = rnd.choice(("notes", "meetings", "emails"))
            acts[kind].append(_activity(kind, f"{did}-n{i}", owner, at(), did, rnd.choice(NEUTRAL)))
        visible = rnd.sample(sorted(SIGNALS), rnd.randint(1, 2))
        for kind in visible:
            where = rnd.choice(("notes", "emails", "meetings"))
            acts[where].append(_activity(where, f"{did}-{kind}", owner, at(), did, rnd.choice(SIGNALS[kind])))
        goal = rnd.choice(GOALS) if rnd.random() < 0.6 else None
        if goal:
            acts["notes"].append(_activity("notes", f"{did}-goal", owner, at(), did, f"Goal: {goal}."))
        no_show = rnd.random() < 0.25
        if no_show:  # the newest meeting: the rules' meeting_no_show risk
            acts["meetings"].append(
                _activity(
                    "meetings",
                    f"{did}-noshow",
                    owner,
                    NOW - timedelta(hours=6),
                    did,
                    "Weekly check-in.",
                    hs_meeting_outcome="NO_SHOW",
                )
            )
        hidden = rnd.choice([k for k in sorted(SIGNALS) if k not in visible]) if rnd.random() < 0.5 else None
        never: list[str] = []
        if hidden:
            canary = f"HIDDENCANARY-{did}"
            text = f"{rnd.choice(SIGNALS[hidden])} ({canary})"
            acts["emails"].append(_activity("emails", f"{did}-hidden", stranger, at(), did, text))
            never = [canary, f"{did}-hidden"]
        goals = [" ".join(goal.split()[:2])] if goal else []
        rules = ["meeting_no_show"] if no_show else []
        ok = ["buyer_uncertainty", "other"]
        cases.append(
            {
                "id": f"{did}-owner",
                "account": ACCOUNT,
                "user": owner,
                "deal": did,
                "expect": {
                    "risk_kinds": sorted(visible) + rules,
                    "risk_kinds_ok": list(ok),
                    "goal_phrases": list(goals),
                    "never": never,
                },
            }
        )
        cases.append(
            {
                "id": f"{did}-admin",
                "account": ACCOUNT,
                "user": admin,
                "deal": did,
                "expect": {
                    "risk_kinds": sorted(visible + ([hidden] if hidden else [])) + rules,
                    "risk_kinds_ok": list(ok),
                    "goal_phrases": list(goals),
                },
            }
        )
        cases.append(
            {
                "id": f"{did}-other-team",
                "account": ACCOUNT,
                "user": stranger,
                "deal": did,
                "expect": {"visible": False},
            }
        )
    doc.update({k: v for k, v in acts.items() if v})
    out.mkdir(parents=True, exist_ok=True)
    (out / "fixture.json").write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    spec = {
        "name": "labelled",
        "fixture": "fixture.json",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model": "openai/eval-model",
        "provenance": (
            f"Generated by evals/labelled.py (seed {seed}, {deals} deals): the scale generator's account "
            "with planted, labelled signals. Recorded from the keyword-rule fake, not a model: recall and "
            "precision here prove the labels and the checks; record a real model to measure it."
        ),
        "cases": cases,
    }
    (out / "suite.yaml").write_text(
        yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return len(cases)
