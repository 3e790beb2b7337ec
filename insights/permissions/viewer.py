"""Who is looking: a user's resolved view scopes, teams and the owners their scopes admit.

Resolved once per request from a handful of small tables (users, teams, memberships, permission
sets); the readable statements in ``readable.py`` are compiled from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm.models import (
    SCOPED_TYPES,
    Account,
    PermissionSet,
    Team,
    TeamMembership,
    User,
)

Scope = Literal["all", "team", "owned", "none"]
SCOPES: tuple[Scope, ...] = ("all", "team", "owned", "none")


@dataclass(frozen=True)
class Viewer:
    portal_id: str
    user_id: str
    super_admin: bool = False
    scopes: dict[str, Scope] = field(default_factory=dict)
    unassigned: frozenset[str] = frozenset()
    team_ids: frozenset[str] = frozenset()  # primary ∪ secondary
    # owners a "team" scope admits: the user and every member of their teams or descendant teams
    team_user_ids: frozenset[str] = frozenset()
    # teams whose shares reach the viewer: their own teams and those teams' ancestors
    share_team_ids: frozenset[str] = frozenset()
    permissions_version: int = 0
    time_zone: str | None = None
    email: str = ""

    def scope(self, object_type: str) -> Scope:
        if self.super_admin:
            return "all"
        return self.scopes.get(object_type, "none")


def descendants(children: dict[str | None, list[str]], roots: set[str]) -> set[str]:
    out: set[str] = set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        if t in out:
            continue
        out.add(t)
        stack.extend(children.get(t, []))
    return out


def ancestors(parent: dict[str, str | None], roots: set[str]) -> set[str]:
    out: set[str] = set()
    for t in roots:
        cur: str | None = t
        while cur is not None and cur not in out:
            out.add(cur)
            cur = parent.get(cur)
    return out


def resolve_scopes(pset: PermissionSet | None, user: User) -> tuple[dict[str, Scope], frozenset[str]]:
    scopes: dict[str, Scope] = {}
    base = (pset.scopes if pset else None) or {}
    override = user.scopes or {}
    for t in SCOPED_TYPES:
        value = override.get(t, base.get(t, "none"))
        scopes[t] = value if value in SCOPES else "none"
    unassigned = set(pset.unassigned if pset and pset.unassigned else [])
    if user.unassigned is not None:
        unassigned = set(user.unassigned)
    return scopes, frozenset(unassigned)


async def load_viewer(session: AsyncSession, portal_id: str, user_id: str) -> Viewer | None:
    """The viewer for a (portal, user), or None when no such active user exists in that portal."""
    user = await session.get(User, (portal_id, user_id))
    if user is None or user.archived:
        return None
    account = await session.get(Account, portal_id)
    if account is None:
        return None
    pset = (
        await session.get(PermissionSet, (portal_id, user.permission_set_id))
        if user.permission_set_id
        else None
    )
    scopes, unassigned = resolve_scopes(pset, user)

    teams = (await session.execute(select(Team.id, Team.parent_id).where(Team.portal_id == portal_id))).all()
    parent = {t.id: t.parent_id for t in teams}
    children: dict[str | None, list[str]] = {}
    for t in teams:
        children.setdefault(t.parent_id, []).append(t.id)

    members = (
        await session.execute(
            select(TeamMembership.team_id, TeamMembership.user_id).where(
                TeamMembership.portal_id == portal_id
            )
        )
    ).all()
    own_teams = {m.team_id for m in members if m.user_id == user_id}
    reach = descendants(children, own_teams)
    team_users = {m.user_id for m in members if m.team_id in reach} | {user_id}

    return Viewer(
        portal_id=portal_id,
        user_id=user_id,
        super_admin=user.super_admin,
        scopes=scopes,
        unassigned=unassigned,
        team_ids=frozenset(own_teams),
        team_user_ids=frozenset(team_users),
        share_team_ids=frozenset(ancestors(parent, own_teams)),
        permissions_version=account.permissions_version,
        time_zone=user.time_zone,
        email=user.email,
    )


class ViewerCache:
    """Resolved viewers keyed by the account's permissions version: one primary-key read per request.

    Any change to users, teams, memberships or permission sets bumps that version, so a cached
    viewer can never outlive the permissions it was resolved from.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.entries: dict[tuple[str, str, int], Viewer] = {}
        self.newest: dict[tuple[str, str], Viewer] = {}
        self.max_entries = max_entries

    def latest(self, portal_id: str, user_id: str) -> Viewer | None:
        """The viewer last resolved for this user, at whatever version: a guess that a caller must
        confirm against the account's current permissions version before trusting it (the cached
        insight read does, in the statement that checks the deal is readable)."""
        return self.newest.get((portal_id, user_id))

    async def get(self, session: AsyncSession, portal_id: str, user_id: str) -> Viewer | None:
        version = await session.scalar(select(Account.permissions_version).where(Account.id == portal_id))
        if version is None:
            return None
        key = (portal_id, user_id, version)
        if (hit := self.entries.get(key)) is not None:
            self.newest[(portal_id, user_id)] = hit
            return hit
        viewer = await load_viewer(session, portal_id, user_id)
        if viewer is not None:
            if len(self.entries) >= self.max_entries:
                self.entries.clear()
                self.newest.clear()
            self.entries[key] = viewer
            self.newest[(portal_id, user_id)] = viewer
        else:
            self.newest.pop((portal_id, user_id), None)
        return viewer
