"""Rules about contacts: 1 newly assigned, 3 re-engaged, 5 email replies, 9 awaiting your reply,
14 target account activity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import (
    OPEN_LEAD,
    A,
    AnySelect,
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
from insights.guided_actions.expiry import contact_emailed_since
from insights.guided_actions.expiry_records import event_older_than, new_lead_for_contact, reassigned
from insights.guided_actions.replies import replies


def _name(c: m.Contact) -> str:
    return f"{c.first_name} {c.last_name}".strip() or c.email or c.id


def _email_on_contact(
    u: User, direction: str, *extra: Callable[[type[m.Activity]], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """A readable email of that direction is logged on the contact: from its links (primary key),
    not the account's emails. Each of ``extra`` makes a condition on the email row."""
    link, act = aliased(L), aliased(A)
    return exists(
        select(link.activity_id)
        .join(act, and_(act.portal_id == link.portal_id, act.id == link.activity_id))
        .where(
            link.portal_id == m.Contact.portal_id,
            link.object_type == "contact",
            link.object_id == m.Contact.id,
            # the link's copy of the type (``crm.link_copy``): a contact's other links are passed
            # over in the index instead of each fetching its activity row (random reads: what a
            # cold cache pays for); the row of an email is still checked
            link.activity_type == "email",
            can_read_activity(u, act, "email"),
            act.email_direction == direction,
            *[e(act) for e in extra],
        )
    )


async def newly_assigned_contacts(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 1: yours, not a customer/evangelist, on no deal, no tracked email either way."""
    c = m.Contact
    rows = (
        (
            await s.execute(
                select(c).where(
                    c.owner_id == u.id,
                    can_read(u, "contact"),
                    func.coalesce(c.lifecycle_stage, "").not_in(("customer", "evangelist")),
                    ~exists(  # on no deal the user may read
                        select(m.DealContact.deal_id)
                        .join(
                            m.Deal,
                            and_(
                                m.Deal.portal_id == m.DealContact.portal_id,
                                m.Deal.id == m.DealContact.deal_id,
                            ),
                        )
                        .where(
                            m.DealContact.portal_id == c.portal_id,
                            m.DealContact.contact_id == c.id,
                            can_read(u, "deal"),
                        )
                    ),
                    ~_email_on_contact(u, "EMAIL", lambda act: act.owner_id == u.id),
                    ~_email_on_contact(u, "INCOMING_EMAIL"),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Candidate(
            "contact",
            r.id,
            _name(r),
            [
                said(f"{_name(r)} is assigned to you and is not a customer yet.", ("contact", r.id)),
                said("The contact is on no deal and no email has gone either way.", ("contact", r.id)),
            ],
        )
        for r in rows
    ]


async def re_engaged_contacts(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 3: the contact's latest lead was disqualified, then the contact engaged within 30 days."""
    c, lead = m.Contact, m.Lead
    other, newer = aliased(m.Lead), aliased(m.Lead)
    lead_at = func.coalesce(lead.created_at, lead.stage_changed_at)
    # the contact's most recent lead among those the user may read: no readable lead is newer (an
    # index probe per candidate; a grouped max over the account's leads misleads the planners)
    latest = and_(
        lead_at.is_not(None),
        ~exists(
            select(newer.id).where(
                newer.portal_id == c.portal_id,
                newer.contact_id == c.id,
                func.coalesce(newer.created_at, newer.stage_changed_at) > lead_at,
                can_read(u, "lead", newer),
            )
        ),
    )
    disqualified = [  # your contact, whose latest readable lead is yours (or nobody's) and disqualified
        c.owner_id == u.id,
        can_read(u, "contact"),
        can_read(u, "lead", lead),
        latest,
        lead.stage == "unqualified-stage-id",
        func.coalesce(lead.owner_id, u.id) == u.id,
        ~exists(
            select(other.id).where(
                other.portal_id == c.portal_id,
                other.contact_id == c.id,
                other.stage.in_(OPEN_LEAD),
                can_read(u, "lead", other),
            )
        ),
    ]
    lead_of_contact = and_(lead.portal_id == c.portal_id, lead.contact_id == c.id)
    # engagements are looked up for those few contacts only, not for every contact you own
    mine = select(c.id).join(lead, lead_of_contact).where(*disqualified)
    e = engagements(u, "contact", mine, now - timedelta(days=30))
    rows = (
        await s.execute(
            select(c, lead, e.c.activity_id, e.c.at)
            .join(lead, lead_of_contact)
            .join(e, e.c.object_id == c.id)
            .where(
                *disqualified,
                e.c.at > func.coalesce(lead.stage_changed_at, lead.created_at),
                e.c.at >= now - timedelta(days=30),
                e.c.at <= now,
            )
            .order_by(e.c.at.desc())
        )
    ).all()
    seen: dict[str, Candidate] = {}
    for contact, ld, activity_id, at in rows:  # newest engagement per contact
        seen.setdefault(
            contact.id,
            Candidate(
                "contact",
                contact.id,
                _name(contact),
                [
                    said(
                        f"{_name(contact)}'s lead {ld.name or ld.id} was disqualified.",
                        ("contact", contact.id),
                        ("lead", ld.id),
                    ),
                    said(
                        f"The contact engaged again on {at:%Y-%m-%d}.",
                        ("contact", contact.id),
                        ("activity", str(activity_id)),
                    ),
                ],
                trigger_key=str(activity_id),
                at=at,
                also=[{"type": "lead", "id": ld.id, "name": ld.name or ld.id, "owner": ld.owner_id or ""}],
            ),
        )
    return list(seen.values())


async def email_replies(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 5: your contact replied to an email you sent. Driven from your replies when you may read
    only your own emails (few, however many activities your contacts have), else from your contacts
    (a team's replies outnumber them): measured at 1M on SQLite, 121 -> 6 ms for the busiest user
    (own emails), 20 -> 100 ms for a manager had the team's replies driven it too."""
    only_mine = u.viewer.scope("email") == "owned"
    rows = (
        await s.execute(
            replies(u, True, now - timedelta(days=14), until=now, by_reply=only_mine).where(
                m.Contact.owner_id == u.id
            )
        )
    ).all()
    return [
        Candidate(
            "contact",
            c.id,
            _name(c),
            [
                said(
                    f"{_name(c)} replied on {at:%Y-%m-%d} to an email you sent.",
                    ("contact", c.id),
                    ("activity", rid),
                )
            ],
            trigger_key=rid,
            at=at,
            owner=c.owner_id or "",
        )
        for c, rid, at in rows
        if at <= now
    ]


async def awaiting_your_reply(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 9: no open lead; replied to an email where you are the primary recipient; other domain."""
    rows = (
        await s.execute(
            replies(u, False, now - timedelta(days=14), unanswered=now, until=now).where(
                ~exists(
                    select(m.Lead.id).where(
                        m.Lead.portal_id == m.Contact.portal_id,
                        m.Lead.contact_id == m.Contact.id,
                        m.Lead.stage.in_(OPEN_LEAD),
                        can_read(u, "lead"),
                    )
                )
            )
        )
    ).all()
    return [
        Candidate(
            "contact",
            c.id,
            _name(c),
            [
                said(
                    f"{_name(c)} wrote to you on {at:%Y-%m-%d} and awaits a reply.",
                    ("contact", c.id),
                    ("activity", rid),
                )
            ],
            trigger_key=rid,
            at=at,
            owner=c.owner_id or "",
        )
        for c, rid, at in rows
        if at <= now and domain(c.email) and domain(c.email) != domain(u.email)
    ]


async def target_account_activity(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 14: your contact at a target account engaged in the last 7 days."""
    c, cc, co = m.Contact, m.ContactCompany, m.Company
    at_target = [  # your contact, at a target account you may read
        c.owner_id == u.id,
        can_read(u, "contact"),
        can_read(u, "company"),
        co.is_target_account.is_(True),
    ]

    def companies(q: AnySelect) -> AnySelect:
        return q.join(cc, and_(cc.portal_id == c.portal_id, cc.contact_id == c.id)).join(
            co, and_(co.portal_id == c.portal_id, co.id == cc.company_id)
        )

    # engagements are looked up for those contacts only, not for every contact you own
    e = engagements(u, "contact", companies(select(c.id)).where(*at_target), now - timedelta(days=7))
    rows = (
        await s.execute(
            companies(select(c, co.id, co.name, e.c.activity_id, e.c.at))
            .join(e, e.c.object_id == c.id)
            .where(*at_target, e.c.at >= now - timedelta(days=7), e.c.at <= now)
            .order_by(e.c.at.desc())
        )
    ).all()
    seen: dict[str, Candidate] = {}
    for contact, company_id, company, activity_id, at in rows:
        seen.setdefault(
            contact.id,
            Candidate(
                "contact",
                contact.id,
                _name(contact),
                [
                    said(
                        f"{_name(contact)} works at target account {company}.",
                        ("contact", contact.id),
                        ("company", company_id),
                    ),
                    said(
                        f"The contact engaged on {at:%Y-%m-%d}.",
                        ("contact", contact.id),
                        ("activity", str(activity_id)),
                    ),
                ],
                trigger_key=str(activity_id),
                at=at,
            ),
        )
    return list(seen.values())


RULES = [
    Rule(
        1,
        "newly_assigned_contacts",
        "Newly assigned contacts",
        "prospecting",
        newly_assigned_contacts,
        max_age_days=30,
        age_inclusive=True,  # "the action is 30 days old"
        criteria_expiry=True,
    ),
    Rule(
        3,
        "re_engaged_contacts",
        "Re-engaged contacts",
        "prospecting",
        re_engaged_contacts,
        activity_trigger=True,
        expiry=(reassigned("lead"), new_lead_for_contact(), event_older_than(30, "re-engagement")),
    ),
    Rule(
        5,
        "email_replies",
        "Email replies",
        "prospecting",
        email_replies,
        max_age_days=14,
        age_inclusive=True,  # "the action is 14 days old"
        expiry=(contact_emailed_since(since_event=False), reassigned("contact")),
        activity_trigger=True,
    ),
    Rule(
        9,
        "contacts_awaiting_reply",
        "Contacts awaiting your reply",
        "prospecting",
        awaiting_your_reply,
        max_age_days=14,  # "created more than 14 days ago"
        expiry=(reassigned("contact"), contact_emailed_since(since_event=True)),
        activity_trigger=True,
    ),
    Rule(
        14,
        "target_account_activity",
        "Target account activity",
        "prospecting",
        target_account_activity,
        activity_trigger=True,
        expiry=(event_older_than(7, "engagement"),),
    ),
]
