"""Rules about deals: 10 reply to email, 17 add a contact, 18 initial outreach, 19 follow up with
buyer (16, update next steps, reads the deal timeline: ``rules_next_steps``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import (
    A,
    AnySelect,
    Candidate,
    Column,
    Expirer,
    L,
    Rule,
    User,
    can_read,
    can_read_activity,
    copy_readable,
    deal_is_open,
    linked_to,
    said,
)
from insights.guided_actions.expiry import CHUNK, contact_emailed_since, event_at
from insights.guided_actions.expiry_records import (
    contact_associated,
    deal_closed,
    engagement_associated,
    reassigned,
)
from insights.guided_actions.models import GuidedAction
from insights.guided_actions.replies import email_link_window

D = m.Deal


def mine_open(u: User) -> list[ColumnElement[bool]]:
    return [D.owner_id == u.id, can_read(u, "deal"), deal_is_open()]


def _contact_emails(u: User, email: type[m.Activity], by_email: bool = False) -> AnySelect:
    """(deal, contact, email) rows, all readable: your open deals → their contacts → emails logged
    on them (link primary key), never a deal × email product. ``by_email``: the readable emails'
    owners may drive it instead (the index on owner, type and time), for a caller that bounds the
    emails' time and when they are the user's own (few, however many your deals' contacts have)."""
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
                link.portal_id == dc.portal_id,
                link.object_type == "contact",
                link.object_id == dc.contact_id,
                copy_readable(u, link, "email"),  # the email's row is checked below
            ),
        )
        .join(email, and_(email.portal_id == link.portal_id, email.id == link.activity_id))
        .where(*mine_open(u), can_read(u, "contact"), can_read_activity(u, email, "email", drive=by_email))
    )


async def reply_to_email(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 10: a contact of your open deal replied to you and you have not replied since.
    Replies older than the action's 7-day lifetime are not looked at."""
    reply, sent = aliased(m.Activity), aliased(m.Activity)
    only_mine = u.viewer.scope("email") == "owned"
    rows = (
        await s.execute(
            _contact_emails(u, reply, by_email=only_mine).where(
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
    out: dict[tuple[str, str], Candidate] = {}
    for deal, contact, r in sorted(rows, key=lambda row: row[0].id):  # one deal per reply: the first
        name = f"{contact.first_name or ''} {contact.last_name or ''}".strip() or contact.email or contact.id
        out.setdefault(
            (contact.id, r.id),
            Candidate(
                "contact",
                contact.id,
                name,
                [
                    said(
                        f"{name} ({deal.name}) replied on {r.occurred_at:%Y-%m-%d}; no answer yet.",
                        ("deal", deal.id),
                        ("contact", contact.id),
                        ("activity", r.id),
                    )
                ],
                trigger_key=r.id,
                at=r.occurred_at,
                also=[{"type": "deal", "id": deal.id, "name": deal.name}],
            ),
        )
    return list(out.values())


async def add_contact(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 17: your open deal, created more than 7 days ago, has no contact."""
    rows = (
        (
            await s.execute(
                select(D).where(
                    *mine_open(u),
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
        out.append(Candidate("deal", d.id, d.name, why, owner=d.owner_id or ""))
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
                    *mine_open(u),
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
            owner=d.owner_id or "",
        )
        for d in rows
    ]


def _buyer_wrote_after(u: User, deal_id: Column, opened: Column, now: datetime) -> ColumnElement[bool]:
    """Rule 19's reply, in creation and expiry alike: an incoming email the user may read, logged on
    any contact of the deal the user may read, after the open (any thread, any contact)."""
    dc, link, reply = aliased(m.DealContact), aliased(L), aliased(m.Activity)
    contact = aliased(m.Contact)
    return exists(
        select(reply.id)
        .select_from(dc)
        .join(contact, and_(contact.portal_id == dc.portal_id, contact.id == dc.contact_id))
        .join(
            link,
            and_(
                link.portal_id == dc.portal_id,
                link.object_type == "contact",
                link.object_id == dc.contact_id,
                *email_link_window(link, opened, now),
            ),
        )
        .join(reply, and_(reply.portal_id == link.portal_id, reply.id == link.activity_id))
        .where(
            dc.portal_id == u.portal_id,
            dc.deal_id == deal_id,
            can_read(u, "contact", contact),
            can_read_activity(u, reply, "email"),
            reply.email_direction == "INCOMING_EMAIL",
            reply.occurred_at > opened,
            reply.occurred_at <= now,
        )
    )


async def follow_up_with_buyer(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 19: a contact of your open deal opened your email 7+ days ago and no contact of the deal
    has written since the open. Opens older than 14 days are not looked at: their action (7-day
    lifetime) would be over."""
    sent = aliased(m.Activity)
    rows = (
        await s.execute(
            _contact_emails(u, sent).where(
                sent.email_direction == "EMAIL",
                sent.first_opened_at <= now - timedelta(days=7),
                sent.first_opened_at > now - timedelta(days=14),
                ~_buyer_wrote_after(u, D.id, sent.first_opened_at, now),
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


def buyer_wrote_since_open() -> Expirer:
    """Rule 19 expires once a contact of the deal writes after the open (the action's event time):
    the newest such email per deal, one grouped query, compared with each action's open."""

    async def check(
        s: AsyncSession, u: User, actions: Sequence[GuidedAction], now: datetime
    ) -> dict[str, str]:
        dc, link, reply, contact = m.DealContact, aliased(L), aliased(m.Activity), aliased(m.Contact)
        ids = sorted({a.record_id for a in actions})
        newest: dict[str, datetime] = {}
        for i in range(0, len(ids), CHUNK):
            rows = await s.execute(
                select(dc.deal_id, func.max(reply.occurred_at))
                .join(contact, and_(contact.portal_id == dc.portal_id, contact.id == dc.contact_id))
                .join(
                    link,
                    and_(
                        link.portal_id == dc.portal_id,
                        link.object_type == "contact",
                        link.object_id == dc.contact_id,
                    ),
                )
                .join(reply, and_(reply.portal_id == link.portal_id, reply.id == link.activity_id))
                .where(
                    dc.portal_id == u.portal_id,
                    dc.deal_id.in_(ids[i : i + CHUNK]),
                    can_read(u, "contact", contact),
                    can_read_activity(u, reply, "email"),
                    reply.email_direction == "INCOMING_EMAIL",
                    reply.occurred_at <= now,
                )
                .group_by(dc.deal_id)
            )
            newest.update({d: at for d, at in rows})
        return {
            a.id: "a buyer wrote after the open"
            for a in actions
            if (at := event_at(a)) is not None and a.record_id in newest and newest[a.record_id] > at
        }

    return check


RULES = [
    Rule(
        10,
        "reply_to_email",
        "Reply to email",
        "closing",
        reply_to_email,
        max_age_days=7,  # "created more than 7 days ago"
        expiry=(deal_closed(), contact_emailed_since(since_event=True)),
        activity_trigger=True,
    ),
    Rule(
        17,
        "add_contact_to_deal",
        "Add a contact to a deal",
        "closing",
        add_contact,
        max_age_days=7,
        expiry=(reassigned("deal"), deal_closed(), contact_associated()),
    ),
    Rule(
        18,
        "initial_outreach",
        "Initial outreach needed",
        "closing",
        initial_outreach,
        max_age_days=7,
        expiry=(reassigned("deal"), deal_closed(), engagement_associated()),
    ),
    Rule(
        19,
        "follow_up_with_buyer",
        "Follow up with buyer",
        "closing",
        follow_up_with_buyer,
        max_age_days=7,
        expiry=(buyer_wrote_since_open(),),
        activity_trigger=True,
    ),
]
