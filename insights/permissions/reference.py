"""The permission rules of ``spec/permissions.md`` as plain Python over plain data.

Used only by tests: a property-based test checks that the SQL retriever returns exactly what this
reference allows. It shares no code with the SQL path on purpose (team closure, scopes, paths and
ordering are all restated here), so a bug in one is not silently repeated in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class RefUser:
    id: str
    scopes: dict[str, str]
    unassigned: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)
    super_admin: bool = False


@dataclass
class RefAccount:
    users: dict[str, RefUser]
    team_parent: dict[str, str | None]
    deal_owner: dict[str, str | None]
    deal_shares: dict[str, set[tuple[str, str]]]
    contact_owner: dict[str, str | None]
    company_owner: dict[str, str | None]
    deal_contacts: set[tuple[str, str]]
    deal_companies: set[tuple[str, str]]
    activities: dict[str, tuple[str, str | None, datetime]]  # id → (type, owner, time)
    links: set[tuple[str, str, str]]  # (activity id, object type, object id)


def _team_and_below(acct: RefAccount, team: str) -> set[str]:
    out = {team}
    changed = True
    while changed:
        changed = False
        for t, parent in acct.team_parent.items():
            if parent in out and t not in out:
                out.add(t)
                changed = True
    return out


def admits(acct: RefAccount, viewer: RefUser, object_type: str, owner: str | None) -> bool:
    if viewer.super_admin:
        return True
    scope = viewer.scopes.get(object_type, "none")
    if scope == "all":
        return True
    if scope == "none":
        return False
    if owner is None:
        return object_type in viewer.unassigned
    if owner == viewer.id:
        return True
    if scope == "owned":
        return False
    reach: set[str] = set()
    for t in viewer.teams:
        reach |= _team_and_below(acct, t)
    return owner in acct.users and bool(acct.users[owner].teams & reach)


def deal_visible(acct: RefAccount, viewer: RefUser, deal: str) -> bool:
    if admits(acct, viewer, "deal", acct.deal_owner[deal]):
        return True
    for kind, pid in acct.deal_shares.get(deal, set()):
        if kind == "user" and pid == viewer.id:
            return True
        if kind == "team" and any(t in _team_and_below(acct, pid) for t in viewer.teams):
            return True
    return False


@dataclass
class RefContext:
    contacts: list[str]
    companies: list[str]
    timeline: list[str]
    count: int


def reference_context(
    acct: RefAccount, viewer_id: str, deal: str, now: datetime, limit: int
) -> RefContext | None:
    viewer = acct.users[viewer_id]
    if not deal_visible(acct, viewer, deal):
        return None
    contacts = sorted(
        c
        for d, c in acct.deal_contacts
        if d == deal and admits(acct, viewer, "contact", acct.contact_owner[c])
    )
    companies = sorted(
        c
        for d, c in acct.deal_companies
        if d == deal and admits(acct, viewer, "company", acct.company_owner[c])
    )
    reachable = {("deal", deal)} | {("contact", c) for c in contacts} | {("company", c) for c in companies}
    timeline = []
    for aid, (kind, owner, at) in acct.activities.items():
        if kind == "task" or at > now or not admits(acct, viewer, kind, owner):
            continue
        if any((t, o) in reachable for a, t, o in acct.links if a == aid):
            timeline.append(aid)
    timeline.sort(key=lambda a: (-acct.activities[a][2].timestamp(), a))
    return RefContext(contacts, companies, timeline[:limit], len(timeline))
