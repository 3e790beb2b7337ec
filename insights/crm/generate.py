"""Deterministic scale accounts for benchmarks: JSON Lines in the import format, streamed.

Same arguments and seed → byte-identical file (one ``random.Random(seed)``, a fixed clock, no set or
dict-order surprises). Records come in dependency order (account, teams, permission sets, users,
pipeline, companies, contacts, deals, then activities), so every reference points to an earlier line
and an import never has to hold anything back. Only the small deal graph (ids of each deal's contacts
and company) is kept in memory; activities are written as they are drawn, so a million of them cost
no more memory than ten. Activities are spread over deals with a long tail (a few deals get
thousands), owned across a team tree so that view scopes matter, and linked to the deal, a contact of
it and/or its company.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from insights.crm import demo_texts as tx
from insights.crm.demo_people import REP, STAGES, pipeline

EPOCH = datetime(2026, 11, 1, tzinfo=UTC)  # fixed, so that the same seed gives the same bytes
SPAN_MINUTES = 2 * 365 * 24 * 60
KINDS = ("email", "email", "call", "meeting", "note", "note", "task")
FIRST = ("Alex", "Sam", "Maria", "Jun", "Priya", "Tom", "Lea", "Omar", "Nina", "Kofi", "Ivan", "Sofia")
LAST = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Rossi", "Larsen", "Haddad", "Kim", "Silva")
INDUSTRIES = ("Retail", "Energy", "Healthcare", "Manufacturing", "Software", "Logistics", "Finance")
TITLES = ("CFO", "CTO", "VP Sales", "Head of IT", "Procurement lead", "Operations manager", "CEO")
Emit = Callable[[str, dict[str, Any]], None]


@dataclass
class GenerateStats:
    """What was written (the CLI prints it)."""

    teams: int = 0
    users: int = 0
    companies: int = 0
    contacts: int = 0
    deals: int = 0
    activities: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class _DealRef:
    id: str
    owner: str
    contacts: tuple[str, ...]
    company: str
    buyer: str  # a first name for the texts


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
    """Write an account of the given size to ``out`` (JSON Lines, ``{"type", "record"}`` per line)."""
    if deals < 1 or users < 1 or activities < 0:
        raise ValueError("need at least one deal and one user")
    rnd = random.Random(seed)
    stats = GenerateStats()
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    with open(out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as fp:

        def emit(kind: str, record: dict[str, Any]) -> None:
            line = dumps({"type": kind, "record": record}) + "\n"
            stats.bytes += len(line.encode()) if not line.isascii() else len(line)
            fp.write(line)

        settings = {"customer_analysis_enabled": True, "hipaa_sensitive_data": False}
        emit("account", {"id": account_id, "name": f"Scale account (seed {seed})", "settings": settings})
        teams = _teams(emit, stats)
        owners = _users(emit, rnd, users, teams, stats)
        emit("pipelines", pipeline())
        graph = _records(emit, rnd, deals, owners, stats)
        _activities(emit, rnd, activities, graph, owners, stats, progress)
    return stats


def _record(
    rid: str, props: dict[str, str], created: datetime, assoc: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "id": rid,
        "properties": props,
        "createdAt": _iso(created),
        "updatedAt": _iso(created),
        "archived": False,
        "associations": {k: {"results": [{"id": i} for i in ids]} for k, ids in assoc.items() if ids},
    }


def _teams(emit: Emit, stats: GenerateStats) -> list[str]:
    """A three-level tree: Sales → 3 regions → 16 teams (round-robin, so the tree is balanced)."""
    emit("teams", {"id": "t0", "name": "Sales", "parentTeamId": None})
    regions = ("EMEA", "Americas", "APAC")
    for i, name in enumerate(regions, 1):
        emit("teams", {"id": f"t{i}", "name": name, "parentTeamId": "t0"})
    for i in range(4, 20):
        emit("teams", {"id": f"t{i}", "name": f"{regions[i % 3]} team {i}", "parentTeamId": f"t{1 + i % 3}"})
    stats.teams = 20
    return [f"t{i}" for i in range(20)]


def _users(emit: Emit, rnd: random.Random, users: int, teams: list[str], stats: GenerateStats) -> list[str]:
    """One admin, a manager per ~10 users at region level, reps in leaf teams (15% with a second team)."""
    emit("permission_sets", {"id": "rep", "name": "Sales rep", "scopes": REP, "unassigned": ["company"]})
    manager = dict.fromkeys(REP, "team")
    emit(
        "permission_sets", {"id": "manager", "name": "Manager", "scopes": manager, "unassigned": ["company"]}
    )
    emit(
        "permission_sets",
        {"id": "admin", "name": "Admin", "scopes": dict.fromkeys(REP, "all"), "unassigned": []},
    )
    ids = []
    for i in range(users):
        uid = f"u{i}"
        ids.append(uid)
        role = "admin" if i == 0 else "manager" if i % 10 == 1 else "rep"
        primary = (
            teams[0] if role == "admin" else teams[1 + i % 3] if role == "manager" else rnd.choice(teams[4:])
        )
        member = [{"id": primary, "primary": True}]
        if role == "rep" and rnd.random() < 0.15:
            second = rnd.choice(teams[4:])
            if second != primary:
                member.append({"id": second, "primary": False})
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        owner = {
            "id": uid,
            "email": f"{first.lower()}.{last.lower()}{i}@scale.example",
            "firstName": first,
            "lastName": last,
            "teams": member,
            "superAdmin": role == "admin",
            "permissionSetId": role,
            "timeZone": ("Europe/London", "America/New_York", "Asia/Singapore")[i % 3],
        }
        emit("owners", owner)
        stats.users += 1
    return ids


def _records(
    emit: Emit, rnd: random.Random, deals: int, owners: list[str], stats: GenerateStats
) -> list[_DealRef]:
    """Companies, contacts and deals; returns the small graph the activities hang off."""
    n_companies = max(1, deals // 2)
    for c in range(n_companies):
        props = {
            "name": f"{rnd.choice(LAST)} {rnd.choice(('Group', 'Labs', 'Industries', 'Holdings'))} {c}",
            "domain": f"company{c}.example",
            "industry": rnd.choice(INDUSTRIES),
            "hubspot_owner_id": rnd.choice(owners),
            "hs_is_target_account": "true" if rnd.random() < 0.1 else "false",
        }
        emit("companies", _record(f"co{c}", props, EPOCH - timedelta(days=rnd.randint(400, 900)), {}))
        stats.companies += 1
    graph = []
    n = 0
    for d in range(deals):
        owner = rnd.choice(owners)
        company = f"co{rnd.randrange(n_companies)}"
        contacts, buyer = [], rnd.choice(FIRST)
        for k in range(rnd.choice((1, 2, 2, 3))):
            cid, n = f"c{n}", n + 1
            first = buyer if k == 0 else rnd.choice(FIRST)
            props = {
                "email": f"{first.lower()}.{cid}@{company}.example",
                "firstname": first,
                "lastname": rnd.choice(LAST),
                "jobtitle": rnd.choice(TITLES),
                "lifecyclestage": rnd.choice(("lead", "salesqualifiedlead", "opportunity", "customer")),
                "hubspot_owner_id": owner if rnd.random() < 0.7 else rnd.choice(owners),
            }
            created = EPOCH - timedelta(days=rnd.randint(30, 800))
            emit("contacts", _record(cid, props, created, {"companies": [company]}))
            contacts.append(cid)
            stats.contacts += 1
        emit("deals", _deal(rnd, f"d{d}", owner, contacts, company))
        stats.deals += 1
        graph.append(_DealRef(f"d{d}", owner, tuple(contacts), company, buyer))
    return graph


def _deal(rnd: random.Random, did: str, owner: str, contacts: list[str], company: str) -> dict[str, Any]:
    created = EPOCH - timedelta(days=rnd.randint(10, 700), minutes=rnd.randint(0, 1439))
    stage_i = rnd.randrange(len(STAGES))
    close = created + timedelta(days=rnd.randint(20, 200))
    score = rnd.randint(10, 95)
    props = {
        "dealname": f"{rnd.choice(LAST)} {rnd.choice(('renewal', 'expansion', 'pilot', 'rollout'))} {did}",
        "pipeline": "default",
        "dealstage": STAGES[stage_i][0],
        "amount": str(rnd.randint(1, 500) * 1000),
        "closedate": _iso(close),
        "createdate": _iso(created),
        "hubspot_owner_id": owner,
        "hs_deal_score": str(score),
    }
    if rnd.random() < 0.3:
        props["hs_next_step"] = f"Follow up on {rnd.choice(tx.TOPICS)}"
    record = _record(did, props, created, {"contacts": contacts, "companies": [company]})
    if rnd.random() < 0.3:  # some history: stage moves, a pushed close date, score points
        step = (EPOCH - created) / 4
        stages = [
            {"value": STAGES[s][0], "timestamp": _iso(created + step * s)} for s in range(min(stage_i, 4) + 1)
        ]
        closes = [
            {"value": _iso(close - timedelta(days=30 * k)), "timestamp": _iso(created + step * k)}
            for k in (2, 1)
        ]
        scores = [
            {"value": str(min(99, score + rnd.randint(-20, 20))), "timestamp": _iso(created + step * 3)}
        ]
        record["propertiesWithHistory"] = {"dealstage": stages, "closedate": closes, "hs_deal_score": scores}
    return record


def _text(rnd: random.Random, pool: tuple[str, ...], first: str) -> str:
    """50–400 characters of plausible prose: one or two filled templates."""
    parts: list[str] = []
    while not parts or (len(" ".join(parts)) < 50 or rnd.random() < 0.4) and len(parts) < 3:
        t = rnd.choice(pool)
        parts.append(
            t.format(
                topic=rnd.choice(tx.TOPICS), first=first, n=rnd.randint(2, 9), day=rnd.choice(tx.WEEKDAYS)
            )
        )
    return " ".join(parts)[:400]


def _activities(
    emit: Emit,
    rnd: random.Random,
    activities: int,
    graph: list[_DealRef],
    owners: list[str],
    stats: GenerateStats,
    progress: Callable[[int], None] | None,
) -> None:
    weights = [1.0 / (1 + i) ** 0.8 for i in range(len(graph))]  # a long tail of busy deals
    rnd.shuffle(weights)
    cum = list(accumulate(weights))
    total = cum[-1]
    for i in range(activities):
        ref = graph[min(bisect(cum, rnd.random() * total), len(graph) - 1)]
        kind = KINDS[rnd.randrange(len(KINDS))]
        at = EPOCH - timedelta(minutes=rnd.randint(0, SPAN_MINUTES))
        where = rnd.random()
        contact = rnd.choice(ref.contacts)
        assoc: dict[str, list[str]] = (
            {"deals": [ref.id]}
            if where < 0.4
            else {"deals": [ref.id], "contacts": [contact]}
            if where < 0.6
            else {"contacts": [contact]}
            if where < 0.9
            else {"companies": [ref.company]}
        )
        owner = ref.owner if rnd.random() < 0.6 else rnd.choice(owners)
        props = {"hs_timestamp": _iso(at), "hubspot_owner_id": owner} | _kind_props(
            rnd, kind, at, ref, contact
        )
        emit(f"{kind}s", _record(f"a{i}", props, at, assoc))
        stats.activities += 1
        if progress and (i + 1) % 10_000 == 0:
            progress(i + 1)
    if progress:
        progress(activities)


def _kind_props(rnd: random.Random, kind: str, at: datetime, ref: _DealRef, contact: str) -> dict[str, str]:
    buyer = f"{ref.buyer.lower()}.{contact}@{ref.company}.example"
    topic = rnd.choice(tx.TOPICS)
    if kind == "email":
        incoming = rnd.random() < 0.4
        rep = f"rep.{ref.owner}@scale.example"
        return {
            "hs_email_direction": "INCOMING_EMAIL" if incoming else "EMAIL",
            "hs_email_status": "SENT",
            "hs_email_subject": f"Re: {topic}",
            "hs_email_text": _text(rnd, tx.EMAILS_IN if incoming else tx.EMAILS_OUT, ref.buyer),
            "hs_email_from_email": buyer if incoming else rep,
            "hs_email_to_email": rep if incoming else buyer,
            "hs_email_thread_id": f"thr-{ref.id}-{rnd.randrange(20)}",
        }
    if kind == "call":
        status = rnd.choice(("COMPLETED", "COMPLETED", "COMPLETED", "NO_ANSWER", "BUSY"))
        return {
            "hs_call_title": f"Call with {ref.buyer} about {topic}",
            "hs_call_body": _text(rnd, tx.CALLS, ref.buyer),
            "hs_call_status": status,
            "hs_call_disposition": "Connected" if status == "COMPLETED" and rnd.random() < 0.8 else "",
            "hs_call_direction": rnd.choice(("OUTBOUND", "INBOUND")),
            "hs_call_duration": str(rnd.randint(1, 60) * 60_000),
        }
    if kind == "meeting":
        return {
            "hs_meeting_title": f"Meeting: {topic}",
            "hs_meeting_body": _text(rnd, tx.MEETING_BODIES, ref.buyer),
            "hs_internal_meeting_notes": _text(rnd, tx.GOALS, ref.buyer) if rnd.random() < 0.3 else "",
            "hs_meeting_start_time": _iso(at),
            "hs_meeting_end_time": _iso(at + timedelta(minutes=rnd.choice((30, 45, 60)))),
            "hs_meeting_outcome": rnd.choice(
                ("COMPLETED", "COMPLETED", "COMPLETED", "NO_SHOW", "RESCHEDULED")
            ),
        }
    if kind == "note":
        return {"hs_note_body": _text(rnd, tx.NOTES, ref.buyer)}
    return {
        "hs_task_subject": f"Follow up on {topic}",
        "hs_task_body": _text(rnd, tx.NOTES, ref.buyer),
        "hs_task_status": rnd.choice(("NOT_STARTED", "IN_PROGRESS", "COMPLETED", "COMPLETED")),
        "hs_task_priority": rnd.choice(("LOW", "MEDIUM", "HIGH")),
        "hs_task_type": rnd.choice(("EMAIL", "CALL", "TODO")),
    }


def generate_cli(
    out: Path, deals: int, activities: int, users: int, seed: int, account_id: str = "scale"
) -> GenerateStats:
    """``generate`` behind a rich progress bar, then a one-line summary (for ``insights generate``)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = Console(stderr=True)
    started = time.perf_counter()
    columns = (
        TextColumn("Generating"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} activities"),
    )
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("generate", total=activities)
        stats = generate(
            out,
            deals=deals,
            activities=activities,
            users=users,
            seed=seed,
            account_id=account_id,
            progress=lambda n: bar.update(task, completed=n),
        )
    console.print(
        f"{out}: {stats.deals:,} deals, {stats.contacts:,} contacts, {stats.companies:,} companies, "
        f"{stats.activities:,} activities, {stats.users} users, {stats.teams} teams, "
        f"{stats.bytes / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s"
    )
    return stats
