"""Listed expiry conditions about the records an action rests on: reassigned, closed, a contact or an
engagement associated, a new lead, the triggering event grown old, a meeting started. Each is one
grouped query per record type over all of a rule's active actions, through the readable predicates
(a record the user can no longer read is expired by the runner's visibility check instead)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import A, Expirer, L, User, can_read, can_read_activity, deal_is_open
from insights.guided_actions.expiry import CHUNK, event_at
from insights.guided_actions.models import GuidedAction

TABLES: dict[str, Any] = {"contact": m.Contact, "lead": m.Lead, "deal": m.Deal}


def stored(a: GuidedAction, kind: str) -> list[dict[str, str]]:
    """The records of ``kind`` the action was stored with (its primary record and those it rests on)."""
    return [r for r in a.records or [] if r.get("type") == kind]


async def _each(s: AsyncSession, ids: set[str], stmt_for: Callable[[list[str]], Any]) -> list[Any]:
    ordered, rows = sorted(ids), list[Any]()
    for i in range(0, len(ordered), CHUNK):
        rows.extend((await s.execute(stmt_for(ordered[i : i + CHUNK]))).all())
    return rows


def reassigned(kind: str) -> Expirer:
    """The action's contact, lead or deal now has another owner than at creation."""
    table = TABLES[kind]

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        ids = {r["id"] for a in actions for r in stored(a, kind)}
        owner = dict(
            await _each(
                s, ids, lambda ch: select(table.id, table.owner_id).where(table.id.in_(ch), can_read(u, kind))
            )
        )
        return {
            a.id: f"{kind} reassigned"
            for a in actions
            for r in stored(a, kind)
            if "owner" in r and r["id"] in owner and owner[r["id"]] != r["owner"]
        }

    return check


def deal_closed() -> Expirer:
    """The action's deal (its primary record, or the deal it rests on) is closed."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        ids = {r["id"] for a in actions for r in stored(a, "deal")}
        closed = {
            d
            for (d,) in await _each(
                s,
                ids,
                lambda ch: select(m.Deal.id).where(m.Deal.id.in_(ch), can_read(u, "deal"), ~deal_is_open()),
            )
        }
        return {a.id: "deal closed" for a in actions if any(r["id"] in closed for r in stored(a, "deal"))}

    return check


def next_step_changed() -> Expirer:
    """Rule 16: the deal's next step changed since creation (the trigger key is its change time then)."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        changed = dict(
            await _each(
                s,
                {a.record_id for a in actions},
                lambda ch: select(m.Deal.id, m.Deal.next_step_changed_at).where(
                    m.Deal.id.in_(ch), can_read(u, "deal")
                ),
            )
        )
        return {
            a.id: "next step changed"
            for a in actions
            if a.record_id in changed
            and (changed[a.record_id].isoformat() if changed[a.record_id] else "") != a.trigger_key
        }

    return check


def contact_associated() -> Expirer:
    """Rule 17: a contact the user may read is now associated with the deal."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        dc = m.DealContact
        rows = await _each(
            s,
            {a.record_id for a in actions},
            lambda ch: (
                select(dc.deal_id)
                .join(m.Contact, and_(m.Contact.portal_id == dc.portal_id, m.Contact.id == dc.contact_id))
                .where(dc.portal_id == u.portal_id, dc.deal_id.in_(ch), can_read(u, "contact"))
            ),
        )
        with_contact = {d for (d,) in rows}
        return {a.id: "a contact is associated" for a in actions if a.record_id in with_contact}

    return check


def engagement_associated() -> Expirer:
    """Rule 18: an activity the user may read is now logged on the deal."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        rows = await _each(
            s,
            {a.record_id for a in actions},
            lambda ch: (
                select(L.object_id)
                .join(A, and_(A.portal_id == L.portal_id, A.id == L.activity_id))
                .where(
                    L.portal_id == u.portal_id,
                    L.object_type == "deal",
                    L.object_id.in_(ch),
                    can_read_activity(u),
                )
            ),
        )
        engaged = {d for (d,) in rows}
        return {a.id: "an engagement is associated" for a in actions if a.record_id in engaged}

    return check


def event_older_than(days: float, what: str) -> Expirer:
    """Rules 3, 14, 15: more than ``days`` since the triggering engagement (strictly more)."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        limit = timedelta(days=days)
        return {
            a.id: f"{what} more than {days:g} days old"
            for a in actions
            # an action stored without its event time counts from its creation (the event came before)
            if now - (event_at(a) or a.created_at) > limit
        }

    return check


def new_lead_for_contact() -> Expirer:
    """Rule 3: a lead the user may read was created for the contact after the disqualified one."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        lead, newer = m.Lead, aliased(m.Lead)
        rows = await _each(
            s,
            {r["id"] for a in actions for r in stored(a, "lead")},
            lambda ch: select(lead.id).where(
                lead.id.in_(ch),
                exists(
                    select(newer.id).where(
                        newer.portal_id == lead.portal_id,
                        newer.contact_id == lead.contact_id,
                        newer.id != lead.id,
                        func.coalesce(newer.created_at, newer.stage_changed_at)
                        > func.coalesce(lead.created_at, lead.stage_changed_at),
                        can_read(u, "lead", newer),
                    )
                ),
            ),
        )
        superseded = {lid for (lid,) in rows}
        return {
            a.id: "a new lead was created"
            for a in actions
            if any(r["id"] in superseded for r in stored(a, "lead"))
        }

    return check


def meeting_started(minutes: float) -> Expirer:
    """Rule 12: ``minutes`` have passed since the meeting started (exactly then: expired)."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        rows = await _each(
            s,
            {a.record_id for a in actions},
            lambda ch: select(A.id, A.meeting_start).where(
                A.portal_id == u.portal_id, A.id.in_(ch), can_read_activity(u, A, "meeting")
            ),
        )
        start = dict(rows)
        return {
            a.id: f"{minutes:g} minutes since the meeting started"
            for a in actions
            if start.get(a.record_id) is not None and now - start[a.record_id] >= timedelta(minutes=minutes)
        }

    return check


__all__ = [
    "contact_associated",
    "deal_closed",
    "engagement_associated",
    "event_older_than",
    "meeting_started",
    "new_lead_for_contact",
    "next_step_changed",
    "reassigned",
    "stored",
]
