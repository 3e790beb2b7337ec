"""Rules about leads: 2 newly assigned, 11 awaiting your reply, 15 recently engaged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import (
    OPEN_LEAD,
    A,
    Candidate,
    L,
    Rule,
    User,
    can_read,
    can_read_activity,
    domain,
    engagements,
    said,
)
from insights.guided_actions.expiry import lead_touched_since
from insights.guided_actions.expiry_records import event_older_than, reassigned

FIRST_STAGE = "new-stage-id"


async def newly_assigned_leads(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 2: your lead is in the lead pipeline's first stage."""
    rows = (
        (
            await s.execute(
                select(m.Lead).where(
                    m.Lead.owner_id == u.id,
                    can_read(u, "lead"),
                    m.Lead.stage == FIRST_STAGE,
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Candidate(
            "lead",
            r.id,
            r.name or r.id,
            [said(f"Lead {r.name or r.id} is assigned to you and still new.", ("lead", r.id))],
            owner=r.owner_id or "",
        )
        for r in rows
    ]


def _answered(u: User, now: datetime) -> Any:
    """You emailed the lead or its contact after the reply A (up to now): the action's expiry,
    "you email the lead", already holds, so it is not created (as rule 9)."""
    answer, on = aliased(m.Activity), aliased(L)
    return exists(
        select(answer.id)
        .join(on, and_(on.portal_id == answer.portal_id, on.activity_id == answer.id))
        .where(
            answer.portal_id == A.portal_id,
            or_(
                and_(on.object_type == "lead", on.object_id == m.Lead.id),
                and_(on.object_type == "contact", on.object_id == m.Lead.contact_id),
            ),
            can_read_activity(u, answer, "email"),
            answer.email_direction == "EMAIL",
            answer.owner_id == u.id,
            answer.occurred_at > A.occurred_at,
            answer.occurred_at <= now,
        )
    )


async def leads_awaiting_reply(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 11: the lead (or its contact) wrote to you (primary recipient) from another domain.
    One query per path (emails logged on the lead, on its contact); replies older than the action's
    14-day lifetime are not looked at. The contact (whose address gives the domain) must be readable."""
    rows: list[Row[m.Lead, str, str | None, str, datetime]] = []
    for via, key in (("lead", m.Lead.id), ("contact", m.Lead.contact_id)):
        link = aliased(L)
        rows += (
            await s.execute(
                select(m.Lead, m.Contact.id, m.Contact.email, A.id, A.occurred_at)
                .select_from(m.Lead)
                .join(
                    m.Contact,
                    and_(m.Contact.portal_id == m.Lead.portal_id, m.Contact.id == m.Lead.contact_id),
                )
                .join(
                    link,
                    and_(link.portal_id == m.Lead.portal_id, link.object_type == via, link.object_id == key),
                )
                .join(A, and_(A.portal_id == link.portal_id, A.id == link.activity_id))
                .where(
                    can_read(u, "lead"),
                    can_read(u, "contact"),
                    or_(m.Lead.owner_id == u.id, m.Lead.owner_id.is_(None)),
                    can_read_activity(u, A, "email"),
                    A.email_direction == "INCOMING_EMAIL",
                    A.occurred_at > now - timedelta(days=14),
                    A.occurred_at <= now,
                    func.lower(func.coalesce(A.to_emails, "")).like(f"{u.email.lower()}%"),
                    ~_answered(u, now),
                )
            )
        ).all()
    out: dict[tuple[str, str], Candidate] = {}
    for lead, contact_id, email, activity_id, at in rows:
        if domain(email) and domain(email) != domain(u.email):
            out[(lead.id, activity_id)] = Candidate(
                "lead",
                lead.id,
                lead.name or lead.id,
                [
                    said(
                        f"Lead {lead.name or lead.id} wrote to you on {at:%Y-%m-%d} and awaits a reply.",
                        ("lead", lead.id),
                        ("contact", contact_id),
                        ("activity", activity_id),
                    )
                ],
                trigger_key=activity_id,
                at=at,
                owner=lead.owner_id or "",
            )
    return list(out.values())


async def recently_engaged_leads(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 15: your open lead (or its contact, when readable) engaged in the last 7 days."""
    out: dict[str, Candidate] = {}
    for kind, key in (("lead", m.Lead.id), ("contact", m.Lead.contact_id)):
        mine = select(key).where(m.Lead.owner_id == u.id, can_read(u, "lead"))
        if kind == "contact":
            mine = mine.join(
                m.Contact, and_(m.Contact.portal_id == m.Lead.portal_id, m.Contact.id == m.Lead.contact_id)
            ).where(can_read(u, "contact"))
        e = engagements(u, kind, mine, now - timedelta(days=7))
        rows = (
            await s.execute(
                select(m.Lead, e.c.activity_id, e.c.at)
                .join(e, e.c.object_id == key)
                .where(
                    m.Lead.owner_id == u.id,
                    can_read(u, "lead"),
                    m.Lead.stage.in_(OPEN_LEAD),
                    e.c.at >= now - timedelta(days=7),
                    e.c.at <= now,
                )
                .order_by(e.c.at.desc())
            )
        ).all()
        for lead, activity_id, at in rows:
            best = out.get(lead.id)
            if best is None or (best.at is not None and best.at < at):  # the newest engagement, either path
                out[lead.id] = Candidate(
                    "lead",
                    lead.id,
                    lead.name or lead.id,
                    [
                        said(
                            f"Lead {lead.name or lead.id} is open and engaged {at:%Y-%m-%d %H:%M}",
                            ("lead", lead.id),
                            *([("contact", lead.contact_id)] if kind == "contact" else []),
                            ("activity", str(activity_id)),
                        )
                    ],
                    trigger_key=str(activity_id),
                    at=at,
                )
    return list(out.values())


RULES = [
    Rule(
        2,
        "newly_assigned_leads",
        "Newly assigned leads",
        "prospecting",
        newly_assigned_leads,
        max_age_days=30,
        age_inclusive=True,  # "the action is 30 days old"
        expiry=(reassigned("lead"), lead_touched_since(emails_only=False)),
    ),
    Rule(
        11,
        "leads_awaiting_reply",
        "Leads awaiting your reply",
        "prospecting",
        leads_awaiting_reply,
        max_age_days=14,  # "created more than 14 days ago"
        expiry=(reassigned("lead"), lead_touched_since(emails_only=True)),
        activity_trigger=True,
    ),
    Rule(
        15,
        "recently_engaged_leads",
        "Recently engaged leads",
        "prospecting",
        recently_engaged_leads,
        activity_trigger=True,
        expiry=(event_older_than(7, "engagement"),),
    ),
]
