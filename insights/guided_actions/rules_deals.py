"""Rules about deals: 10 reply to email, 16 update next steps, 17 add a contact, 18 initial outreach,
19 follow up with buyer."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import A, Candidate, L, Rule, User, deal_is_open, linked

D = m.Deal


def _mine_open(u: User) -> list:  # type: ignore[type-arg]
    return [D.portal_id == u.portal_id, D.owner_id == u.id, D.archived.is_(False), deal_is_open()]


def _contact_link(activity: type[m.Activity] | object) -> object:
    return and_(L.portal_id == activity.portal_id, L.activity_id == activity.id, L.object_type == "contact")  # type: ignore[attr-defined]


async def reply_to_email(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 10: a contact of your open deal replied to you and you have not replied since."""
    sent = aliased(m.Activity)
    on_contact = select(L.object_id).where(_contact_link(A))
    rows = (
        await s.execute(
            select(D, m.Contact, A.id, A.occurred_at)
            .join(m.DealContact, and_(m.DealContact.portal_id == D.portal_id, m.DealContact.deal_id == D.id))
            .join(
                m.Contact, and_(m.Contact.portal_id == D.portal_id, m.Contact.id == m.DealContact.contact_id)
            )
            .join(A, A.portal_id == D.portal_id)
            .where(
                *_mine_open(u),
                A.type == "email",
                A.email_direction == "INCOMING_EMAIL",
                A.archived.is_(False),
                A.occurred_at <= now,
                m.Contact.id.in_(on_contact),
                func.lower(func.coalesce(A.to_emails, "")).like(f"%{u.email.lower()}%"),
                ~exists(
                    select(sent.id).where(
                        sent.portal_id == A.portal_id,
                        sent.type == "email",
                        sent.email_direction == "EMAIL",
                        sent.owner_id == u.id,
                        sent.occurred_at > A.occurred_at,
                        sent.occurred_at <= now,
                        exists(select(L.activity_id).where(_contact_link(sent), L.object_id == m.Contact.id)),
                    )
                ),
            )
        )
    ).all()
    out = {}
    for deal, contact, rid, at in rows:
        out[(deal.id, rid)] = Candidate(
            "deal",
            deal.id,
            deal.name,
            [
                f"{contact.first_name} {contact.last_name} ({deal.name}) replied on {at:%Y-%m-%d};"
                " no answer yet."
            ],
            trigger_key=rid,
            at=at,
        )
    return list(out.values())


async def update_next_steps(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 16: an activity on your open deal ended > 24 h ago, after the next step last changed."""
    ended = func.coalesce(A.meeting_end, A.occurred_at)
    rows = (
        await s.execute(
            select(D, func.max(ended))
            .join(A, A.portal_id == D.portal_id)
            .where(
                *_mine_open(u),
                A.archived.is_(False),
                A.type.in_(("email", "call", "meeting", "note")),
                linked("deal", D.id),
                ended <= now - timedelta(hours=24),
                or_(D.next_step_changed_at.is_(None), ended > D.next_step_changed_at),
            )
            .group_by(D)
        )
    ).all()
    return [
        Candidate(
            "deal",
            d.id,
            d.name,
            [f"An activity on {d.name} ended {last:%Y-%m-%d} and the next step was not updated since."],
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
                    ~exists(
                        select(m.DealContact.contact_id).where(
                            m.DealContact.portal_id == D.portal_id, m.DealContact.deal_id == D.id
                        )
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Candidate("deal", d.id, d.name, [f"{d.name} has no contact, {(now - d.created_at).days} days in."])
        for d in rows
    ]


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
                    ~exists(
                        select(L.activity_id).where(
                            L.portal_id == D.portal_id, L.object_type == "deal", L.object_id == D.id
                        )
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Candidate("deal", d.id, d.name, [f"{d.name} is in its first stage with no engagement yet."])
        for d in rows
    ]


async def follow_up_with_buyer(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 19: a contact of your open deal opened an email 7+ days ago and has not replied."""
    reply = aliased(m.Activity)
    rows = (
        await s.execute(
            select(D, A.id, A.first_opened_at)
            .join(m.DealContact, and_(m.DealContact.portal_id == D.portal_id, m.DealContact.deal_id == D.id))
            .join(A, A.portal_id == D.portal_id)
            .where(
                *_mine_open(u),
                A.type == "email",
                A.email_direction == "EMAIL",
                A.archived.is_(False),
                A.first_opened_at <= now - timedelta(days=7),
                exists(
                    select(L.activity_id).where(_contact_link(A), L.object_id == m.DealContact.contact_id)
                ),
                ~exists(
                    select(reply.id).where(
                        reply.portal_id == A.portal_id,
                        reply.type == "email",
                        reply.email_direction == "INCOMING_EMAIL",
                        reply.occurred_at > A.occurred_at,
                        reply.occurred_at <= now,
                        or_(reply.thread_id == A.thread_id, reply.in_reply_to == A.id),
                    )
                ),
            )
        )
    ).all()
    out = {}
    for deal, email_id, opened in rows:
        out[(deal.id, email_id)] = Candidate(
            "deal",
            deal.id,
            deal.name,
            [f"A buyer on {deal.name} opened your email on {opened:%Y-%m-%d} and has not replied."],
            trigger_key=email_id,
            at=opened,
        )
    return list(out.values())


RULES = [
    Rule(10, "reply_to_email", "Reply to email", "closing", reply_to_email, max_age_days=7),
    Rule(16, "update_next_steps", "Update next steps", "closing", update_next_steps),
    Rule(17, "add_contact_to_deal", "Add a contact to a deal", "closing", add_contact, max_age_days=7),
    Rule(18, "initial_outreach", "Initial outreach needed", "closing", initial_outreach, max_age_days=7),
    Rule(19, "follow_up_with_buyer", "Follow up with buyer", "closing", follow_up_with_buyer, max_age_days=7),
]
