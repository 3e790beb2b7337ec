"""Deterministic scale accounts for benchmarks: JSON Lines in the import format, streamed.

Same arguments and seed → byte-identical file. Records come in dependency order (people, pipeline,
companies, contacts, deals, then activities), so an import never has to hold anything back.
Activities are spread over deals with a long tail (a few deals get thousands), owned across a team
tree so that view scopes matter, and linked to the deal, a contact of it, or its company.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from insights.crm.demo import REP, STAGES

EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = (
    "pricing",
    "budget",
    "rollout",
    "security",
    "migration",
    "training",
    "renewal",
    "contract",
    "legal",
    "procurement",
    "timeline",
    "integration",
    "onboarding",
    "pilot",
    "support",
    "expansion",
    "reporting",
    "seats",
    "discount",
    "champion",
    "competitor",
)
KINDS = ("email", "call", "meeting", "note", "task")


@dataclass
class GenerateStats:
    deals: int = 0
    contacts: int = 0
    companies: int = 0
    activities: int = 0
    users: int = 0
    bytes: int = 0


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(
    out: Path,
    *,
    deals: int,
    activities: int,
    users: int,
    seed: int,
    account_id: str = "scale",
    progress: Callable[[int], None] | None = None,
) -> GenerateStats:
    """Write an account of the given size to ``out`` (JSON Lines)."""
    rnd = random.Random(seed)
    stats = GenerateStats()
    with open(out, "w", encoding="utf-8") as fp:

        def emit(kind: str, record: dict[str, Any]) -> None:
            line = json.dumps({"type": kind, "record": record}, separators=(",", ":")) + "\n"
            stats.bytes += len(line)
            fp.write(line)

        emit(
            "account",
            {
                "id": account_id,
                "name": f"Scale {seed}",
                "settings": {"customer_analysis_enabled": True, "hipaa_sensitive_data": False},
            },
        )
        teams = _teams(emit, rnd)
        owners = _users(emit, rnd, users, teams, stats)
        emit(
            "pipelines",
            {
                "id": "default",
                "label": "Sales pipeline",
                "stages": [
                    {
                        "id": s,
                        "label": label,
                        "displayOrder": i,
                        "metadata": {"isClosed": str(s.startswith("closed")).lower(), "probability": p},
                    }
                    for i, (s, label, p) in enumerate(STAGES)
                ],
            },
        )
        graph = _records(emit, rnd, deals, owners, stats)
        _activities(emit, rnd, activities, graph, owners, stats, progress)
    return stats


def _teams(emit: Callable[[str, dict[str, Any]], None], rnd: random.Random) -> list[str]:
    teams = ["t0"]
    emit("teams", {"id": "t0", "name": "Sales", "parentTeamId": None})
    for i in range(1, 4):
        teams.append(f"t{i}")
        emit("teams", {"id": f"t{i}", "name": f"Region {i}", "parentTeamId": "t0"})
    for i in range(4, 20):
        parent = f"t{rnd.randint(1, 3)}"
        teams.append(f"t{i}")
        emit("teams", {"id": f"t{i}", "name": f"Team {i}", "parentTeamId": parent})
    return teams


def _users(
    emit: Callable[[str, dict[str, Any]], None],
    rnd: random.Random,
    users: int,
    teams: list[str],
    stats: GenerateStats,
) -> list[str]:
    emit("permission_sets", {"id": "rep", "name": "Sales rep", "scopes": REP, "unassigned": ["company"]})
    emit(
        "permission_sets",
        {
            "id": "manager",
            "name": "Manager",
            "scopes": dict.fromkeys(REP, "team"),
            "unassigned": ["company", "contact"],
        },
    )
    emit("permission_sets", {"id": "admin", "name": "Admin", "scopes": dict.fromkeys(REP, "all")})
    ids = []
    for i in range(users):
        uid = f"u{i}"
        ids.append(uid)
        role = "admin" if i == 0 else "manager" if i % 10 == 1 else "rep"
        primary = teams[1 + (i % 3)] if role == "manager" else rnd.choice(teams[4:])
        member = [{"id": primary, "primary": True}]
        if rnd.random() < 0.15:
            member.append({"id": rnd.choice(teams[4:]), "primary": False})
        emit(
            "owners",
            {
                "id": uid,
                "email": f"user{i}@scale.example",
                "firstName": f"User{i}",
                "lastName": "Scale",
                "teams": member,
                "superAdmin": role == "admin",
                "permissionSetId": role,
                "timeZone": "UTC",
            },
        )
        stats.users += 1
    return ids


def _records(
    emit: Callable[[str, dict[str, Any]], None],
    rnd: random.Random,
    deals: int,
    owners: list[str],
    stats: GenerateStats,
) -> list[tuple[str, list[str], str, str]]:
    """Companies, contacts and deals; returns (deal, contacts, company, owner) per deal."""
    graph = []
    n_companies = max(1, deals // 2)
    for c in range(n_companies):
        emit(
            "companies",
            {
                "id": f"co{c}",
                "properties": {
                    "name": f"Company {c}",
                    "domain": f"company{c}.example",
                    "hubspot_owner_id": rnd.choice(owners),
                },
            },
        )
        stats.companies += 1
    n = 0
    for d in range(deals):
        owner = rnd.choice(owners)
        company = f"co{rnd.randrange(n_companies)}"
        contacts = []
        for _ in range(rnd.choice((1, 2, 2, 3))):
            cid = f"c{n}"
            n += 1
            contacts.append(cid)
            emit(
                "contacts",
                {
                    "id": cid,
                    "properties": {
                        "email": f"person{cid}@{company}.example",
                        "firstname": f"Person{cid}",
                        "lastname": "Buyer",
                        "hubspot_owner_id": owner if rnd.random() < 0.7 else rnd.choice(owners),
                    },
                    "associations": {"companies": {"results": [{"id": company}]}},
                },
            )
            stats.contacts += 1
        stage = rnd.choice(STAGES)[0]
        created = EPOCH - timedelta(days=rnd.randint(10, 700))
        emit(
            "deals",
            {
                "id": f"d{d}",
                "createdAt": _iso(created),
                "updatedAt": _iso(created),
                "properties": {
                    "dealname": f"Deal {d}",
                    "pipeline": "default",
                    "dealstage": stage,
                    "amount": str(rnd.randint(1, 500) * 1000),
                    "closedate": _iso(created + timedelta(days=rnd.randint(20, 200))),
                    "hubspot_owner_id": owner,
                    "hs_deal_score": str(rnd.randint(10, 95)),
                },
                "associations": {
                    "contacts": {"results": [{"id": c} for c in contacts]},
                    "companies": {"results": [{"id": company}]},
                },
            },
        )
        stats.deals += 1
        graph.append((f"d{d}", contacts, company, owner))
    return graph


def _activities(
    emit: Callable[[str, dict[str, Any]], None],
    rnd: random.Random,
    activities: int,
    graph: list[tuple[str, list[str], str, str]],
    owners: list[str],
    stats: GenerateStats,
    progress: Callable[[int], None] | None,
) -> None:
    weights = [1.0 / (1 + i) ** 0.8 for i in range(len(graph))]  # a long tail of busy deals
    rnd.shuffle(weights)
    picks = rnd.choices(range(len(graph)), weights=weights, k=activities)
    for i, g in enumerate(picks):
        deal, contacts, company, owner = graph[g]
        kind = KINDS[rnd.randrange(5)]
        at = EPOCH - timedelta(minutes=rnd.randint(0, 2 * 365 * 24 * 60))
        where = rnd.random()
        assoc = (
            {"deals": {"results": [{"id": deal}]}}
            if where < 0.5
            else {"contacts": {"results": [{"id": rnd.choice(contacts)}]}}
            if where < 0.85
            else {"companies": {"results": [{"id": company}]}}
        )
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 60)))
        props = {
            "hs_timestamp": _iso(at),
            "hubspot_owner_id": owner if rnd.random() < 0.6 else rnd.choice(owners),
        }
        if kind == "email":
            props |= {
                "hs_email_subject": f"Re: {rnd.choice(WORDS)}",
                "hs_email_text": text,
                "hs_email_direction": rnd.choice(("EMAIL", "INCOMING_EMAIL")),
            }
        elif kind == "call":
            props |= {
                "hs_call_title": f"Call about {rnd.choice(WORDS)}",
                "hs_call_body": text,
                "hs_call_status": "COMPLETED",
                "hs_call_duration": str(rnd.randint(1, 60) * 60000),
            }
        elif kind == "meeting":
            props |= {
                "hs_meeting_title": f"Meeting: {rnd.choice(WORDS)}",
                "hs_meeting_body": text,
                "hs_meeting_start_time": _iso(at),
                "hs_meeting_end_time": _iso(at + timedelta(minutes=45)),
                "hs_meeting_outcome": rnd.choice(("COMPLETED", "COMPLETED", "NO_SHOW", "SCHEDULED")),
            }
        elif kind == "note":
            props |= {"hs_note_body": text}
        else:
            props |= {
                "hs_task_subject": f"Follow up on {rnd.choice(WORDS)}",
                "hs_task_body": text,
                "hs_task_status": rnd.choice(("NOT_STARTED", "COMPLETED")),
                "hs_task_priority": rnd.choice(("LOW", "MEDIUM", "HIGH")),
            }
        emit(f"{kind}s", {"id": f"a{i}", "properties": props, "associations": assoc})
        stats.activities += 1
        if progress and (i + 1) % 10_000 == 0:
            progress(i + 1)
    if progress:
        progress(activities)
