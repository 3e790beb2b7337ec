"""Rules about deals: 10 reply to email, 16 update next steps, 17 add a contact, 18 initial outreach,
19 follow up with buyer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import (
    A,
    AnySelect,
    Candidate,
    L,
    Rule,
    User,
    can_read,
    can_read_activity,
    deal_is_open,
    linked_to,
    said,
)

D = m.Deal


def _mine_open(u: User) -> list[ColumnElement[bool]]:
    return [D.owner_id == u.id, can_read(u, "deal"), deal_is_open()]


def _contact_emails(u: User, email: type[m.Activity]) -> AnySelect:
    """(deal, contact, email) rows, all readable: your open deals → their contacts → emails logged
    on them (link primary key), never a deal × email product."""
    link = aliased(L)
    dc = m.DealContact
    return (
        select(D, m.Contact, email)
        .select_from(D)
        .join(dc, and_(dc.portal_id == D.portal_id, dc.deal_id == D.id))
        .join(m.Contact, and_(m.Contact.portal_id == dc.portal_id, m.Contact.id == dc.contact_id))
        .join(
            link,
            and_(
                link.portal_id == dc.portal_id, link.object_type == "contact", link.object_id == dc.contact_id
            ),
        )
        .join(email, and_(email.portal_id == link.portal_id, email.id == link.activity_id))
        .where(*_mine_open(u), can_read(u, "contact"), can_read_activity(u, email, "email"))
    )


async def reply_to_email(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 10: a contact of your open deal replied to you and you have not replied since.
    Replies older than the action's 7-day lifetime are not looked at."""
    reply, sent = aliased(m.Activity), aliased(m.Activity)
    rows = (
        await s.execute(
            _contact_emails(u, reply).where(
                reply.email_direction == "INCOMING_EMAIL",
                reply.occurred_at > now - timedelta(days=7),
                reply.occurred_at <= now,
                func.lower(func.coalesce(reply.to_emails, "")).like(f"%{u.email.lower()}%"),
                ~exists(
                    select(sent.id).where(
                        sent.portal_id == reply.portal_id,
                        can_read_activity(u, sent, "email"),
                        sent.email_direction == "EMAIL",
                        sent.owner_id == u.id,
                        sent.occurred_at > reply.occurred_at,
                        sent.occurred_at <= now,
                        linked_to("contact", m.Contact.id, sent),
                    )
                ),
            )
        )
    ).all()
    out = {}
    for deal, contact, r in rows:
        out[(deal.id, r.id)] = Candidate(
            "deal",
            deal.id,
            deal.name,
            [
                said(
                    f"{contact.first_name} {contact.last_name} ({deal.name}) replied on"
                    f" {r.occurred_at:%Y-%m-%d}; no answer yet.",
                    ("deal", deal.id),
                    ("contact", contact.id),
                    ("activity", r.id),
                )
            ],
            trigger_key=r.id,
            at=r.occurred_at,
        )
    return list(out.values())


async def update_next_steps(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 16: an activity on your open deal ended > 24 h ago, after the next step last changed."""
    ended = func.coalesce(A.meeting_end, A.occurred_at)
    rows = (
        await s.execute(
            select(D, func.max(ended))
            .select_from(D)
            .join(L, and_(L.portal_id == D.portal_id, L.object_type == "deal", L.object_id == D.id))
            .join(A, and_(A.portal_id == L.portal_id, A.id == L.activity_id))
            .where(
                *_mine_open(u),
                can_read_activity(u, A, "email", "call", "meeting", "note"),
                ended <= now - timedelta(hours=24),
                or_(D.next_step_changed_at.is_(None), ended > D.next_step_changed_at),
            )
            # grouping by an entity groups by its columns; SQLAlchemy's stubs list columns only
            .group_by(D)  # type: ignore[arg-type]
        )
    ).all()
    return [
        Candidate(
            "deal",
            d.id,
            d.name,
            [
                said(
                    f"An activity on {d.name} ended {last:%Y-%m-%d} and the next step was not updated since.",
                    ("deal", d.id),
                )
            ],
            trigger_key=d.next_step_changed_at.isoformat() if d.next_step_changed_at else "",
        )
        for d, last in rows
    ]


async def add_contact(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 17: your open deal, created more than 7 days ago, has no contact."""
    rows = (
        (
            await s.execute(
                select(D).where(
                    *_mine_open(u),
                    D.created_at < now - timedelta(days=7),
                    ~exists(  # no contact the user may read
                        select(m.DealContact.contact_id)
                        .join(
                            m.Contact,
                            and_(
                                m.Contact.portal_id == m.DealContact.portal_id,
                                m.Contact.id == m.DealContact.contact_id,
                            ),
                        )
                        .where(
                            m.DealContact.portal_id == D.portal_id,
                            m.DealContact.deal_id == D.id,
                            can_read(u, "contact"),
                        )
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    out = []
    for d in rows:
        assert d.created_at is not None  # the query compared it with a time: NULLs are not selected
        days = (now - d.created_at).days
        why = [said(f"{d.name} has no contact, {days} days in.", ("deal", d.id))]
        out.append(Candidate("deal", d.id, d.name, why))
    return out


async def initial_outreach(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 18: your open deal in the pipeline's first stage, created > 7 days ago, no engagement."""
    first = (
        select(m.PipelineStage.id)
        .where(m.PipelineStage.portal_id == D.portal_id, m.PipelineStage.pipeline_id == D.pipeline_id)
        .order_by(m.PipelineStage.display_order)
        .limit(1)
        .scalar_subquery()
    )
    rows = (
        (
            await s.execute(
                select(D).where(
                    *_mine_open(u),
                    D.stage_id == first,
                    D.created_at < now - timedelta(days=7),
                    ~exists(  # no engagement the user may read
                        select(L.activity_id)
                        .join(A, and_(A.portal_id == L.portal_id, A.id == L.activity_id))
                        .where(
                            L.portal_id == D.portal_id,
                            L.object_type == "deal",
                            L.object_id == D.id,
                            can_read_activity(u),
                        )
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Candidate(
            "deal",
            d.id,
            d.name,
            [said(f"{d.name} is in its first stage with no engagement yet.", ("deal", d.id))],
        )
        for d in rows
    ]


async def follow_up_with_buyer(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 19: a contact of your open deal opened your email 7+ days ago and has not replied.
    Opens older than 14 days are not looked at: their action (7-day lifetime) would be over."""
    sent, reply = aliased(m.Activity), aliased(m.Activity)
    answered = select(reply.in_reply_to).where(
        can_read_activity(u, reply, "email"),
        reply.email_direction == "INCOMING_EMAIL",
        reply.in_reply_to.is_not(None),
        reply.occurred_at <= now,
    )
    rows = (
        await s.execute(
            _contact_emails(u, sent).where(
                sent.email_direction == "EMAIL",
                sent.first_opened_at <= now - timedelta(days=7),
                sent.first_opened_at > now - timedelta(days=14),
                ~exists(
                    select(reply.id).where(
                        reply.portal_id == sent.portal_id,
                        reply.thread_id == sent.thread_id,
                        can_read_activity(u, reply, "email"),
                        reply.email_direction == "INCOMING_EMAIL",
                        reply.occurred_at > sent.occurred_at,
                        reply.occurred_at <= now,
                    )
                ),
                sent.id.not_in(answered),
            )
        )
    ).all()
    out = {}
    for deal, contact, e in rows:
        out[(deal.id, e.id)] = Candidate(
            "deal",
            deal.id,
            deal.name,
            [
                said(
                    f"A buyer on {deal.name} opened your email on {e.first_opened_at:%Y-%m-%d}"
                    " and has not replied.",
                    ("deal", deal.id),
                    ("contact", contact.id),
                    ("activity", e.id),
                )
            ],
            trigger_key=e.id,
            at=e.first_opened_at,
        )
    return list(out.values())


RULES = [
    Rule(
        10,
        "reply_to_email",
        "Reply to email",
        "closing",
        reply_to_email,
        max_age_days=7,
        activity_trigger=True,
    ),
    Rule(16, "update_next_steps", "Update next steps", "closing", update_next_steps),
    Rule(17, "add_contact_to_deal", "Add a contact to a deal", "closing", add_contact, max_age_days=7),
    Rule(18, "initial_outreach", "Initial outreach needed", "closing", initial_outreach, max_age_days=7),
    Rule(
        19,
        "follow_up_with_buyer",
        "Follow up with buyer",
        "closing",
        follow_up_with_buyer,
        max_age_days=7,
        activity_trigger=True,
    ),
]
