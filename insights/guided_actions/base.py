"""What a rule is, and the SQL building blocks the rules share (set-based, one query per rule).

Rules see only the user's readable records (permissions.md rule 8): every record and activity a
rule's SQL reads, in its joins and in its EXISTS / NOT EXISTS tests alike, passes the readable
predicates of ``insights.permissions.readable`` compiled into that same statement (``can_read``,
``can_read_activity``). A rule thus evaluates over the world as the user sees it: an action is never
created on, or because of, a record the user may not see, and a hidden record's absence or presence
changes nothing the user is told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, exists, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased

from insights.crm import models as m
from insights.crm.link_copy import as_activity
from insights.guided_actions.models import GuidedAction
from insights.permissions.readable import activity_readable, record_readable
from insights.permissions.viewer import Viewer

OPEN_LEAD = ("new-stage-id", "attempting-stage-id", "connected-stage-id")
BUILT_IN_CALLING = ("CALLING", "CALLING_WIDGET", "BUILT_IN", "HUBSPOT_CALLING")


@dataclass
class User:
    """The rep the rules run for, with the viewer (scopes, teams) every rule's reads are filtered by."""

    portal_id: str
    id: str
    email: str
    time_zone: str | None
    viewer: Viewer

    @classmethod
    def of(cls, viewer: Viewer) -> User:
        return cls(viewer.portal_id, viewer.user_id, viewer.email or "", viewer.time_zone, viewer)


Sentence = dict[str, Any]  # {"text": str, "refs": [[type, id], ...]}: the records the text names


def said(text: str, *refs: tuple[str, str]) -> Sentence:
    """A why sentence with the (type, id) of every record it names or was drawn from, so that a
    listing can drop it once one of them is hidden from the viewer (stored as JSON)."""
    return {"text": text, "refs": [[t, i] for t, i in refs]}


def can_read(u: User, kind: str, table: Any = None) -> ColumnElement[bool]:
    """The deal, contact, company or lead row ``table`` (default: the model) is readable by ``u``."""
    return record_readable(u.viewer, kind, table)


def can_read_activity(u: User, table: Any = None, *types: str, drive: bool = False) -> ColumnElement[bool]:
    """The activity row ``table`` (default ``A``) of one of ``types`` (default: any) is readable.
    ``drive``: the same test, with the owner compared bare so that the index on (owner, type, time)
    may drive the query from the readable owners' activities (the user's own emails, say) rather
    than the records they hang off; by default the owner is probed and another path drives."""
    table = table if table is not None else A
    return activity_readable(u.viewer, types or m.ACTIVITY_TYPES, table, probe_owner=not drive)


def copy_readable(u: User, link: Any, *types: str) -> ColumnElement[bool]:
    """The link's copy of its activity (``crm.link_copy``) reads as a readable activity of one of
    ``types``: a pre-filter inside the timeline index, before any activity row is read (each one a
    random read with a cold cache). The rows that remain are checked with ``can_read_activity``."""
    return activity_readable(u.viewer, types, as_activity(link), probe_owner=False)


@dataclass
class Candidate:
    """A record for which all creation criteria hold now (or, ``creatable=False``, may be kept)."""

    record_type: str
    record_id: str
    name: str
    why: list[Sentence]
    trigger_key: str = ""
    members: list[dict[str, str]] = field(default_factory=list)  # grouped rules: the records listed
    open_deal: bool = False  # primary object associated with an open deal (category of 4, 6, 7, 8, 12, 13)
    creatable: bool = True
    at: datetime | None = None  # when the triggering event happened: the newest one per record wins
    owner: str | None = None  # the primary record's owner at creation ("reassigned" compares with it)
    # further records the action rests on, stored beside the primary one ({type, id, name[, owner]}):
    # rule 10's deal, rule 3's lead; every one must stay readable for the action to be shown
    also: list[dict[str, str]] = field(default_factory=list)


Finder = Callable[[AsyncSession, User, datetime], Awaitable[list[Candidate]]]
# extra expiry: (session, user, active actions of the rule, now) → {action id: reason}
Expirer = Callable[[AsyncSession, User, list[GuidedAction], datetime], Awaitable[dict[str, str]]]
# a SQL value a building block compares with: a column expression or a mapped attribute
Column = ColumnElement[Any] | QueryableAttribute[Any]
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns


@dataclass(frozen=True)
class Rule:
    number: int
    key: str
    title: str
    category: str  # closing | prospecting | by_deal
    find: Finder
    # "action created more than N days ago" expires strictly after N days; "is N days old" /
    # "exists for N days" (``age_inclusive``) from exactly N days (spec "Time boundaries")
    max_age_days: float | None = None
    age_inclusive: bool = False
    grouped: bool = False
    # the spec lists "criteria no longer met" among the rule's expiry conditions (rules 1, 4, 6, 7,
    # 8, 13): the action expires once the finder stops returning it. Otherwise only the listed
    # conditions below (and a record or trigger the user can no longer read) expire it
    criteria_expiry: bool = False
    expiry: tuple[Expirer, ...] = ()
    # the trigger key is the id of the triggering activity: a listing checks it is still readable
    activity_trigger: bool = False
    # grouped rules only: the candidate's trigger key names a period (rule 13: the user's day); a
    # new period expires the group and starts the next, whereas otherwise a new group starts only
    # once the last one emptied
    group_per_trigger: bool = False


A, L = m.Activity, m.ActivityLink


def linked(object_type: str, object_col: Column) -> ColumnElement[bool]:
    """The activity ``A`` is logged on the given record."""
    return exists(
        select(L.activity_id)
        .where(
            L.portal_id == A.portal_id,
            L.activity_id == A.id,
            L.object_type == object_type,
            L.object_id == object_col,
        )
        # the record may belong to a query two levels up, not only to the enclosing one
        .correlate_except(L)
    )


def by_activity(stmt: AnySelect, link: type[m.ActivityLink]) -> AnySelect:
    """Look ``link`` rows up by activity id. Without statistics SQLite prefers the covering primary
    key's (portal) prefix and scans the account's links; PostgreSQL needs no hint."""
    return stmt.with_hint(link, "INDEXED BY ix_activity_links_activity", "sqlite")


def open_deal_of_activity(u: User) -> ColumnElement[bool]:
    """``A`` is logged on an open deal the user may read, or on a readable contact of one. Driven
    from the activity's own links (index on activity id), never from the account's deals."""
    link = aliased(L)
    of_activity = [link.portal_id == A.portal_id, link.activity_id == A.id]
    live = [can_read(u, "deal"), deal_is_open()]
    on_deal = by_activity(
        select(link.activity_id)
        .join(m.Deal, and_(m.Deal.portal_id == link.portal_id, m.Deal.id == link.object_id))
        .where(*of_activity, link.object_type == "deal", *live),
        link,
    )
    dc = m.DealContact
    on_contact = by_activity(
        select(link.activity_id)
        .join(dc, and_(dc.portal_id == link.portal_id, dc.contact_id == link.object_id))
        .join(m.Deal, and_(m.Deal.portal_id == dc.portal_id, m.Deal.id == dc.deal_id))
        .join(m.Contact, and_(m.Contact.portal_id == dc.portal_id, m.Contact.id == dc.contact_id))
        .where(*of_activity, link.object_type == "contact", can_read(u, "contact"), *live),
        link,
    )
    return or_(exists(on_deal), exists(on_contact))


def linked_to(object_type: str, object_col: Column, activity: type[m.Activity] = A) -> ColumnElement[bool]:
    """``activity`` is logged on the record: an EXISTS on the link's primary key."""
    link = aliased(L)
    return exists(
        select(link.activity_id).where(
            link.portal_id == activity.portal_id,
            link.object_type == object_type,
            link.object_id == object_col,
            link.activity_id == activity.id,
        )
    )


def deal_is_open() -> ColumnElement[bool]:
    return exists(
        select(m.PipelineStage.id).where(
            m.PipelineStage.portal_id == m.Deal.portal_id,
            m.PipelineStage.pipeline_id == m.Deal.pipeline_id,
            m.PipelineStage.id == m.Deal.stage_id,
            m.PipelineStage.is_closed.is_(False),
        )
    )


def engagements(u: User, object_type: str, among: AnySelect, since: datetime) -> Subquery:
    """(object id, activity id, when) of the user's readable engagements with the records ``among``
    (a select of ids) since a time (spec definitions): an incoming email, a first open of an email,
    a meeting booked or attended, a completed call. Restricted up front: the user's records, not
    the account's. ``since`` itself is included."""

    def on(kind: str, kind_filter: ColumnElement[bool], at: Column, at_is_time: bool = False) -> AnySelect:
        return (
            select(L.object_id.label("object_id"), A.id.label("activity_id"), at.label("at"))
            .join(A, and_(A.portal_id == L.portal_id, A.id == L.activity_id))
            .where(
                L.portal_id == u.portal_id,
                L.object_type == object_type,
                L.object_id.in_(among),
                copy_readable(u, L, kind),  # and, where the engagement's time is the activity's, newer
                *([L.occurred_at >= since] if at_is_time else []),
                can_read_activity(u, A, kind),
                kind_filter,
                at >= since,  # "within the last N days": exactly N days ago still counts
            )
        )

    return union_all(
        on("email", A.email_direction == "INCOMING_EMAIL", A.occurred_at, at_is_time=True),
        on("email", A.first_opened_at.is_not(None), A.first_opened_at),  # opened after it was sent
        on(
            "meeting",
            or_(
                A.meeting_outcome.is_(None),
                A.meeting_outcome.in_(("SCHEDULED", "COMPLETED", "RESCHEDULED")),
            ),
            func.coalesce(A.created_at, A.occurred_at),  # booked: may be long before the meeting
        ),
        on("call", A.call_status == "COMPLETED", A.occurred_at, at_is_time=True),
    ).subquery("engagement")


def domain(email: str | None) -> str:
    return (email or "").rsplit("@", 1)[-1].lower()


__all__ = [
    "A",
    "AnySelect",
    "Column",
    "L",
    "BUILT_IN_CALLING",
    "OPEN_LEAD",
    "Candidate",
    "Rule",
    "Sentence",
    "User",
    "can_read",
    "can_read_activity",
    "copy_readable",
    "deal_is_open",
    "domain",
    "engagements",
    "linked",
    "linked_to",
    "literal",
    "by_activity",
    "open_deal_of_activity",
    "said",
]
