"""Replies to the user (rules 5 and 9): one statement from the reply emails to their contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import L, User, can_read, can_read_activity


def email_link_window(link: Any, since: Any, until: Any | None) -> list[ColumnElement[bool]]:
    """The link's copy (``crm.link_copy``) is of an email after ``since`` (and up to ``until``): a
    contact's other links are passed over inside the timeline index before any activity row is read
    (a contact-driven read fetched 15,812 rows to keep 11: 1.1 s with a cold cache, on PostgreSQL
    at 1M). The reply's own row is still checked by the caller."""
    window = [link.activity_type == "email", link.occurred_at > since]
    return window if until is None else [*window, link.occurred_at <= until]


def replies(
    u: User,
    to_contact_by_user: bool,
    since: datetime,
    unanswered: datetime | None = None,
    until: datetime | None = None,
    by_reply: bool = True,
) -> Select[m.Contact, str, datetime]:
    """(contact, reply email) pairs, all readable: an incoming email from the contact in the same
    thread after an email the user sent (``to_contact_by_user``) or simply addressed to the user as
    primary recipient. With ``unanswered`` (the clock), only replies the user has not emailed the
    contact after (rule 9: its expiry, "you email the contact", must not hold at creation). With
    ``until``, none after it: a bounded time range, which a viewer who may read every email (so no
    owner narrows them) gets driven by the time index instead of a scan of every contact.
    ``by_reply``: the readable replies' owners may drive the query (the index on owner, type and
    time); otherwise the contacts do, when a caller bounds them (rule 5: your own contacts) and the
    readable emails are many owners' (a team's)."""
    c = m.Contact
    reply = aliased(m.Activity)
    sent = aliased(m.Activity)
    link = aliased(L)
    conditions = [
        can_read_activity(u, reply, "email", drive=by_reply),
        reply.email_direction == "INCOMING_EMAIL",
        reply.occurred_at > since,  # an older reply cannot start an action that would still be alive
    ]
    if until is not None:
        conditions.append(reply.occurred_at <= until)
    if to_contact_by_user:
        conditions.append(
            exists(
                select(sent.id).where(
                    sent.portal_id == reply.portal_id,
                    can_read_activity(u, sent, "email"),
                    sent.email_direction == "EMAIL",
                    sent.owner_id == u.id,
                    sent.occurred_at < reply.occurred_at,
                    (sent.thread_id == reply.thread_id) | (sent.id == reply.in_reply_to),
                )
            )
        )
    else:
        conditions.append(func.lower(func.coalesce(reply.to_emails, "")).like(f"{u.email.lower()}%"))
    if unanswered is not None:
        answer, on_contact = aliased(m.Activity), aliased(L)
        conditions.append(
            ~exists(
                select(answer.id)
                .join(
                    on_contact,
                    and_(on_contact.portal_id == answer.portal_id, on_contact.activity_id == answer.id),
                )
                .where(
                    answer.portal_id == reply.portal_id,
                    on_contact.object_type == "contact",
                    on_contact.object_id == c.id,
                    can_read_activity(u, answer, "email"),
                    answer.email_direction == "EMAIL",
                    answer.owner_id == u.id,
                    answer.occurred_at > reply.occurred_at,
                    answer.occurred_at <= unanswered,
                )
            )
        )
    return (  # reply → its contact links → the contact: no contact × email product
        select(c, reply.id, reply.occurred_at)
        .select_from(reply)
        .join(
            link,
            and_(
                link.portal_id == reply.portal_id,
                link.activity_id == reply.id,
                link.object_type == "contact",
                *email_link_window(link, since, until),
            ),
        )
        .join(c, and_(c.portal_id == link.portal_id, c.id == link.object_id))
        .where(can_read(u, "contact"), *conditions)
    )
