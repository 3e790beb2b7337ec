"""Rules about meetings, calls and tasks: 4 sequence activity, 6 log meeting outcome (grouped),
7 follow up on your meeting, 8 log call outcome (grouped), 12 prepare for upcoming meetings,
13 today's high-priority tasks (grouped per day)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from insights.crm import models as m
from insights.guided_actions.base import (
    BUILT_IN_CALLING,
    A,
    Candidate,
    Rule,
    User,
    can_read_activity,
    open_deal_of_activity,
    said,
)
from insights.guided_actions.expiry_records import meeting_started

OPEN_TASK = A.task_status.is_(None) | (A.task_status != "COMPLETED")


def _title(title: str | None, kind: str) -> str:
    return title or kind.capitalize()


async def _rows(
    s: AsyncSession, u: User, kind: str, *where: ColumnElement[bool]
) -> list[tuple[m.Activity, bool]]:
    """The user's readable activities of a kind matching ``where``, each with whether it is on an
    open deal the user may read. The open-deal test runs on the (few) matches only, in one query,
    never per scanned row."""
    found = (
        (
            await s.execute(
                select(A)
                .where(A.owner_id == u.id, A.type == kind, can_read_activity(u, A, kind), *where)
                .order_by(A.occurred_at, A.id)
            )
        )
        .scalars()
        .all()
    )
    if not found:
        return []
    on_open = set(
        await s.scalars(
            select(A.id).where(
                A.portal_id == u.portal_id, A.id.in_([a.id for a in found]), open_deal_of_activity(u)
            )
        )
    )
    return [(a, a.id in on_open) for a in found]


async def sequence_activity(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 4: an open task of a sequence, assigned to you."""
    rows = await _rows(s, u, "task", A.sequence_id.is_not(None), OPEN_TASK)
    return [
        Candidate(
            "task",
            a.id,
            _title(a.title, "task"),
            [said(f"Sequence task '{_title(a.title, 'task')}' is open.", ("task", a.id))],
            open_deal=bool(od),
        )
        for a, od in rows
    ]


async def log_meeting_outcome(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 6 (grouped): your meetings that ended ≥ 1 h and < 7 days ago without an outcome.
    Boundaries: exactly 1 hour after the end qualifies; exactly 7 days after does not."""
    rows = await _rows(
        s,
        u,
        "meeting",
        A.occurred_at > now - timedelta(days=8),  # start ≥ end - 1 day: keeps the index range short
        A.meeting_end <= now - timedelta(hours=1),
        A.meeting_end > now - timedelta(days=7),
        or_(A.meeting_outcome.is_(None), A.meeting_outcome == "SCHEDULED"),
    )
    return _group("meeting", rows, ("meeting ended", "meetings ended"), "without an outcome logged")


async def follow_up_meeting(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 7: your meeting has ended (the start has passed and the end too: a meeting still running
    asks for no follow-up yet), less than 7 days ago; not all follow-up tasks done."""
    task = aliased(A)
    follow_ups = select(task.id).where(
        task.portal_id == A.portal_id, can_read_activity(u, task, "task"), task.follows_meeting_id == A.id
    )
    rows = await _rows(
        s,
        u,
        "meeting",
        A.occurred_at > now - timedelta(days=8),  # meetings last less than a day
        A.meeting_start <= now,
        A.meeting_end <= now,
        A.meeting_end > now - timedelta(days=7),
        ~and_(
            exists(follow_ups),
            ~exists(follow_ups.where(task.task_status.is_(None) | (task.task_status != "COMPLETED"))),
        ),
    )
    return [
        Candidate(
            "meeting",
            a.id,
            _title(a.title, "meeting"),
            [
                said(
                    f"Your meeting '{_title(a.title, 'meeting')}' took place {a.meeting_start:%Y-%m-%d}.",
                    ("meeting", a.id),
                )
            ],
            open_deal=bool(od),
        )
        for a, od in rows
    ]


async def log_call_outcome(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 8 (grouped): calls started ≥ 1 h and < 7 days ago, no outcome; status COMPLETED for
    built-in calling, COMPLETED or blank otherwise."""
    status_ok = or_(
        A.call_status == "COMPLETED",
        and_(
            func.coalesce(A.call_source, "").not_in(BUILT_IN_CALLING), func.coalesce(A.call_status, "") == ""
        ),
    )
    rows = await _rows(
        s,
        u,
        "call",
        A.occurred_at <= now - timedelta(hours=1),
        A.occurred_at > now - timedelta(days=7),
        func.coalesce(A.call_disposition, "") == "",
        status_ok,
    )
    return _group("call", rows, ("call", "calls"), "without an outcome logged")


async def prepare_for_meeting(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 12: your meeting starts within the next hour; kept until 10 minutes after it starts."""
    rows = await _rows(
        s,
        u,
        "meeting",
        A.occurred_at > now - timedelta(days=1),  # index range; hs_timestamp is the start
        A.meeting_start > now - timedelta(minutes=10),
        A.meeting_start <= now + timedelta(hours=1),
    )
    return [
        Candidate(
            "meeting",
            a.id,
            _title(a.title, "meeting"),
            [
                said(
                    f"'{_title(a.title, 'meeting')}' starts at {a.meeting_start:%H:%M} UTC.",
                    ("meeting", a.id),
                )
            ],
            open_deal=bool(od),
            creatable=a.meeting_start is not None and a.meeting_start > now,  # never None: filtered on
        )
        for a, od in rows
    ]


async def high_priority_tasks(s: AsyncSession, u: User, now: datetime) -> list[Candidate]:
    """Rule 13 (grouped, one per user per day): open HIGH tasks due today in your time zone."""
    try:
        tz = ZoneInfo(u.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = await _rows(
        s,
        u,
        "task",
        A.task_priority == "HIGH",
        OPEN_TASK,
        A.occurred_at >= start,
        A.occurred_at < start + timedelta(days=1),
    )
    found = _group("task", rows, ("high-priority task", "high-priority tasks"), "due today")
    for c in found:
        c.trigger_key = f"{local:%Y-%m-%d}"
    return found


def _group(
    kind: str, rows: list[tuple[m.Activity, bool]], noun: tuple[str, str], rest: str
) -> list[Candidate]:
    """One candidate listing every row; ``noun`` is (singular, plural): "1 call", "2 calls"."""
    if not rows:
        return []
    what = f"{noun[0] if len(rows) == 1 else noun[1]} {rest}"
    members = [{"type": kind, "id": a.id, "name": _title(a.title, kind)} for a, _ in rows]
    return [
        Candidate(
            kind + "_group",
            "group",
            f"{len(rows)} {what}",
            # the count covers every member: dropped from a listing once any of them is hidden
            [said(f"{len(rows)} {what}.", *((kind, a.id) for a, _ in rows))],
            members=members,
            open_deal=any(od for _, od in rows),
            trigger_key="group",
        )
    ]


RULES = [
    Rule(4, "sequence_activity", "Sequence activity", "by_deal", sequence_activity, criteria_expiry=True),
    Rule(
        6,
        "log_meeting_outcome",
        "Log meeting outcome",
        "by_deal",
        log_meeting_outcome,
        grouped=True,
        criteria_expiry=True,
    ),
    Rule(
        7,
        "follow_up_meeting",
        "Follow up on your meeting",
        "by_deal",
        follow_up_meeting,
        criteria_expiry=True,
    ),
    Rule(
        8,
        "log_call_outcome",
        "Log call outcome",
        "by_deal",
        log_call_outcome,
        grouped=True,
        criteria_expiry=True,
    ),
    Rule(
        12,
        "prepare_for_meeting",
        "Prepare for upcoming meetings",
        "by_deal",
        prepare_for_meeting,
        expiry=(meeting_started(10),),
    ),
    Rule(
        13,
        "high_priority_tasks",
        "Today's high-priority tasks",
        "by_deal",
        high_priority_tasks,
        grouped=True,
        criteria_expiry=True,  # "no more open high-priority tasks due today": the group empties
        group_per_trigger=True,  # the trigger key is the user's local day: one action per day
    ),
]
