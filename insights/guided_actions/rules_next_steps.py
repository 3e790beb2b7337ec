"""Rule 16, update next steps: an activity on the deal's timeline (the deal, its contacts and its
companies: crm-model.md) ended more than 24 hours ago, after the next step last changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Subquery, and_, case, cast, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from insights.crm import models as m
from insights.guided_actions.base import (
    A,
    Candidate,
    L,
    Rule,
    User,
    can_read,
    can_read_activity,
    copy_readable,
    said,
)
from insights.guided_actions.expiry_records import deal_closed, next_step_changed, reassigned
from insights.guided_actions.rules_deals import D, mine_open

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class epoch_us(FunctionElement[int]):  # noqa: N801 (a SQL function, named like one)
    """A UTC timestamp column as integer microseconds since 1970: exact on both databases, so a
    call's end (start plus duration) compares with a bound without rounding."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element: epoch_us, compiler: Any, **kw: Any) -> str:
    # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff": whole seconds from strftime, then the digits
    col = compiler.process(list(element.clauses)[0], **kw)
    return f"(CAST(strftime('%s', {col}) AS INTEGER) * 1000000 + CAST(substr({col}, 21, 6) AS INTEGER))"


@compiles(epoch_us)
def _epoch_us_default(element: epoch_us, compiler: Any, **kw: Any) -> str:
    col = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(EXTRACT(EPOCH FROM {col}) * 1000000 AS BIGINT)"


def _us(t: datetime) -> int:
    return (t - EPOCH) // timedelta(microseconds=1)


def _timeline(u: User, cutoff: datetime) -> Subquery:
    """(deal, activity) for your open deals' timelines (crm-model.md): activities logged on the deal
    and on its readable contacts and companies, begun before ``cutoff``. The link's copy of the
    activity (``crm.link_copy``) passes over unreadable and later ones inside the index, before any
    activity row is read (random reads of the activity table: most of a cold cache's time); the
    activities that remain are checked again on their rows."""
    dc, dco = m.DealContact, m.DealCompany
    copy = [
        copy_readable(u, L, *m.TIMELINE_TYPES),
        L.occurred_at < cutoff,
        # a note or an email ends when it happens: one from before the next step changed cannot
        # count (a meeting or a call may end later than it began, so those are all read)
        or_(
            L.activity_type.in_(("meeting", "call")),
            D.next_step_changed_at.is_(None),
            L.occurred_at > D.next_step_changed_at,
        ),
    ]
    direct = select(D.id.label("deal_id"), L.activity_id.label("activity_id")).join(
        L, and_(L.portal_id == D.portal_id, L.object_type == "deal", L.object_id == D.id, *copy)
    )
    via = [
        select(D.id.label("deal_id"), L.activity_id.label("activity_id"))
        .join(assoc, and_(assoc.portal_id == D.portal_id, assoc.deal_id == D.id))
        .join(table, and_(table.portal_id == assoc.portal_id, table.id == col))
        .join(L, and_(L.portal_id == assoc.portal_id, L.object_type == kind, L.object_id == col, *copy))
        .where(can_read(u, kind, table))
        for assoc, kind, table, col in (
            (dc, "contact", m.Contact, dc.contact_id),
            (dco, "company", m.Company, dco.company_id),
        )
    ]
    return union(*(q.where(*mine_open(u)) for q in (direct, *via))).subquery("timeline")


async def update_next_steps(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 16: an activity on your open deal's timeline ended more than 24 h ago (strictly), after
    the next step last changed. Ended: a meeting's end, a call's start plus duration, else its time."""
    cutoff = now - timedelta(hours=24)
    t = _timeline(u, cutoff)
    duration_us = cast(func.coalesce(A.call_duration_ms, 0), BigInteger) * 1000  # 64 bits: hours overflow 32
    ended = case(
        (A.type == "meeting", epoch_us(func.coalesce(A.meeting_end, A.occurred_at))),
        (A.type == "call", epoch_us(A.occurred_at) + duration_us),
        else_=epoch_us(A.occurred_at),
    )
    rows = (
        await s.execute(
            select(D, func.max(ended))
            .select_from(D)
            .join(t, t.c.deal_id == D.id)
            .join(A, and_(A.portal_id == D.portal_id, A.id == t.c.activity_id))
            .where(
                D.portal_id == u.portal_id,
                can_read_activity(u, A, *m.TIMELINE_TYPES),
                A.occurred_at < cutoff,  # every activity starts before it ends: an index range
                ended < _us(cutoff),
                or_(D.next_step_changed_at.is_(None), ended > epoch_us(D.next_step_changed_at)),
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
                    f"An activity on {d.name} ended {EPOCH + timedelta(microseconds=last):%Y-%m-%d} and the"
                    " next step was not updated since.",
                    ("deal", d.id),
                )
            ],
            trigger_key=d.next_step_changed_at.isoformat() if d.next_step_changed_at else "",
            owner=d.owner_id or "",
        )
        for d, last in rows
    ]


RULES = [
    Rule(
        16,
        "update_next_steps",
        "Update next steps",
        "closing",
        update_next_steps,
        expiry=(reassigned("deal"), deal_closed(), next_step_changed()),
    ),
]
