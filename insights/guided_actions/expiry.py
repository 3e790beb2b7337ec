"""Rule-specific expiry conditions that depend on what happened after an action was created
("you email the contact after creation", "you log any activity on the lead"). Each check is one
grouped query over all of the rule's active actions, never a query per action, and reads only
what the user may read (as the rules do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.guided_actions.base import A, Expirer, L, User, can_read, can_read_activity
from insights.guided_actions.models import GuidedAction

CHUNK = 500  # ids per IN list: well inside SQLite's and asyncpg's parameter limits


async def _newest_by_object(
    s: AsyncSession, u: User, objects: dict[str, set[str]], now: datetime, emails_only: bool
) -> dict[tuple[str, str], datetime]:
    """Newest time (≤ now) the user emailed (or logged any activity on) each (object type, id)."""
    out: dict[tuple[str, str], datetime] = {}
    for kind, ids in objects.items():
        ordered = sorted(ids)
        for i in range(0, len(ordered), CHUNK):
            where = [
                L.portal_id == u.portal_id,
                L.object_type == kind,
                L.object_id.in_(ordered[i : i + CHUNK]),
                A.owner_id == u.id,
                A.occurred_at <= now,
            ]
            if emails_only:
                where += [can_read_activity(u, A, "email"), A.email_direction == "EMAIL"]
            else:
                where.append(can_read_activity(u, A))
            rows = await s.execute(
                select(L.object_id, func.max(A.occurred_at))
                .join(A, and_(A.portal_id == L.portal_id, A.id == L.activity_id))
                .where(*where)
                .group_by(L.object_id)
            )
            for object_id, at in rows:
                out[(kind, object_id)] = at
    return out


def _after(at: datetime | None, created: datetime) -> bool:
    return at is not None and at > created


def event_at(a: GuidedAction) -> datetime | None:
    """When the action's triggering event happened, as stored with its primary record at creation."""
    at = a.records[0].get("at") if a.records else None
    return datetime.fromisoformat(at) if isinstance(at, str) else None


def contact_emailed_since(since_event: bool) -> Expirer:
    """You emailed the contact after the action was created (rule 5), or after the email that
    triggered it (``since_event``: rules 9 and 10, "you email the contact", "you send a reply")."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        newest = await _newest_by_object(s, u, {"contact": {a.record_id for a in actions}}, now, True)
        return {
            a.id: "you emailed the contact"
            for a in actions
            if _after(newest.get(("contact", a.record_id)), (since_event and event_at(a)) or a.created_at)
        }

    return check


def lead_touched_since(emails_only: bool) -> Expirer:
    """Rule 2 (any activity you log) and rule 11 (an email you send) on the lead or its contact,
    after the action was created."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        lead_ids = sorted({a.record_id for a in actions})
        contact_of: dict[str, str] = {}
        for i in range(0, len(lead_ids), CHUNK):
            rows = await s.execute(  # the lead's contact, when the user may read both
                select(m.Lead.id, m.Lead.contact_id)
                .join(
                    m.Contact,
                    and_(m.Contact.portal_id == m.Lead.portal_id, m.Contact.id == m.Lead.contact_id),
                )
                .where(
                    m.Lead.id.in_(lead_ids[i : i + CHUNK]),
                    can_read(u, "lead"),
                    can_read(u, "contact"),
                )
            )
            # the inner join on the contact leaves no lead without one; the test narrows the type
            contact_of.update({lead: contact for lead, contact in rows if contact is not None})
        newest = await _newest_by_object(
            s, u, {"lead": set(lead_ids), "contact": set(contact_of.values())}, now, emails_only
        )
        reason = "you emailed the lead" if emails_only else "you logged an activity on the lead"
        out = {}
        for a in actions:
            seen = [newest.get(("lead", a.record_id))]
            if a.record_id in contact_of:
                seen.append(newest.get(("contact", contact_of[a.record_id])))
            if any(_after(t, a.created_at) for t in seen):
                out[a.id] = reason
        return out

    return check


__all__ = ["contact_emailed_since", "event_at", "lead_touched_since"]
