"""The measured value of each criterion kind, for every company of an account, in SQL.

A company's data is everything the CRM logs on it: activities linked to the company, to one of its
contacts or to one of its deals, and its deals. Measures are computed over all of it (a score is a
figure of the company, like the CRM's own deal score) and only ever leave SQL as points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, literal, or_, select, union, union_all
from sqlalchemy.sql.elements import ColumnElement

from insights.crm import models as m
from insights.health.profiles import Criterion
from insights.health.sqlparts import day_number, epoch, number, renewal_text, today_number

TIMELINE = ("email", "call", "meeting", "note")
ACTIVITY_KINDS = {
    "days_since_last_activity",
    "meetings_last_n_days",
    "calls_last_n_days",
    "emails_last_n_days",
    "inbound_email_share",
    "overdue_high_priority_tasks",
}
DEAL_KINDS = {"open_deals", "open_deal_stage_progress", "closed_lost_deals_last_n_days", "deal_score_trend"}


@dataclass(frozen=True)
class Clock:
    now: datetime
    dialect: str

    @property
    def now_epoch(self) -> int:
        return int(self.now.timestamp())

    @property
    def day(self) -> str:
        return self.now.date().isoformat()

    def since(self, days: int) -> datetime:
        return self.now - timedelta(days=days)


def lookback_days(criteria: list[Criterion]) -> int:
    """How far back the activity criteria look: their windows, and for the days since the last
    activity its highest threshold (older than that earns the last band whatever the age)."""
    days = [1]
    for c in criteria:
        if c.kind == "days_since_last_activity":
            days.append(int(max(c.thresholds)) + 1)
        elif c.kind in ACTIVITY_KINDS and c.kind != "overdue_high_priority_tasks":
            days.append(c.window_days)
    return max(days)


def company_activities(portal_id: str, criteria: list[Criterion], clock: Clock) -> Any:
    """(company_id, activity columns) for every activity the criteria may count, logged on a
    company, one of its contacts or one of its deals (each pair once).

    Only the criteria's lookback is read (plus open high-priority tasks overdue for longer), one
    pass over (link, activity) materialized once, then mapped to companies through the contact and
    deal associations: scoring cost follows the recent timeline, not its whole history."""
    a, link, cc, dc = m.Activity, m.ActivityLink, m.ContactCompany, m.DealCompany
    since = clock.since(lookback_days(criteria))
    cols: tuple[Any, ...] = (link.object_type, link.object_id, a.id, a.type, a.occurred_at)
    cols += (a.email_direction, a.task_priority, a.task_status)

    def linked(*where: ColumnElement[bool]) -> Any:
        return (
            select(*cols)
            .select_from(link)
            .join(a, and_(a.portal_id == link.portal_id, a.id == link.activity_id))
            .where(link.portal_id == portal_id, a.archived.is_(False), *where)
        )

    parts = [linked(a.occurred_at > since, a.occurred_at <= clock.now)]
    if any(c.kind == "overdue_high_priority_tasks" for c in criteria):
        open_task = or_(a.task_status.is_(None), a.task_status.in_(m.OPEN_TASK_STATUSES))
        parts.append(linked(a.type == "task", a.task_priority == "HIGH", open_task, a.occurred_at <= since))
    # (link, activity) for every activity the criteria may count: the recent ones and old open tasks
    links = union_all(*parts).cte("scored_links").prefix_with("MATERIALIZED")
    names = ("id", "type", "occurred_at", "email_direction", "task_priority", "task_status")
    picked = [links.c[k] for k in names]
    direct = select(links.c.object_id.label("company_id"), *picked).where(links.c.object_type == "company")
    via_contacts = (
        select(cc.company_id, *picked)
        .select_from(links)
        .join(cc, and_(cc.portal_id == portal_id, cc.contact_id == links.c.object_id))
        .where(links.c.object_type == "contact")
    )
    via_deals = (
        select(dc.company_id, *picked)
        .select_from(links)
        .join(dc, and_(dc.portal_id == portal_id, dc.deal_id == links.c.object_id))
        .where(links.c.object_type == "deal")
    )
    return union(direct, via_contacts, via_deals).subquery("company_activities")


def _count(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((cond, 1), else_=0))


def activity_measures(portal_id: str, criteria: list[Criterion], clock: Clock) -> Any:
    """One GROUP BY over the companies' activities: a column per activity criterion."""
    if not any(c.kind in ACTIVITY_KINDS for c in criteria):
        return None
    a = company_activities(portal_id, criteria, clock).c
    now = clock.now
    cols: list[Any] = []
    for c in criteria:
        if c.kind not in ACTIVITY_KINDS:
            continue
        window = and_(a.occurred_at > clock.since(c.window_days), a.occurred_at <= now)
        value: ColumnElement[Any]
        if c.kind == "days_since_last_activity":
            last = func.max(case((a.type.in_(TIMELINE), a.occurred_at), else_=None))
            value = (literal(clock.now_epoch) - epoch(last, clock.dialect)) / 86400.0
        elif c.kind in ("meetings_last_n_days", "calls_last_n_days", "emails_last_n_days"):
            value = _count(and_(a.type == c.kind.split("s_", 1)[0], window))
        elif c.kind == "inbound_email_share":
            emails = and_(a.type == "email", window)
            inbound = _count(and_(emails, a.email_direction == "INCOMING_EMAIL"))
            value = cast(inbound, Float) * 100.0 / func.nullif(_count(emails), 0)
        else:  # overdue_high_priority_tasks (the only tasks older than the lookback that are read)
            value = _count(
                and_(
                    a.type == "task",
                    a.task_priority == "HIGH",
                    or_(a.task_status.is_(None), a.task_status.in_(m.OPEN_TASK_STATUSES)),
                    a.occurred_at < now,
                )
            )
        cols.append(value.label(c.key))
    return select(a.company_id, *cols).group_by(a.company_id).subquery("activity_measures")


def deal_measures(portal_id: str, criteria: list[Criterion], clock: Clock) -> Any:
    """One GROUP BY over the companies' deals: a column per deal criterion."""
    dc, d, st = m.DealCompany, m.Deal, m.PipelineStage
    wanted = [c for c in criteria if c.kind in DEAL_KINDS]
    if not wanted:
        return None
    is_open = func.coalesce(st.is_closed, False).is_(False)
    top = (
        select(st.pipeline_id, func.max(st.display_order).label("top"))
        .where(st.portal_id == portal_id, st.is_closed.is_(False))
        .group_by(st.pipeline_id)
        .subquery("top_open_stage")
    )
    q = (
        select(dc.company_id)
        .join(d, and_(d.portal_id == dc.portal_id, d.id == dc.deal_id))
        .outerjoin(
            st, and_(st.portal_id == d.portal_id, st.pipeline_id == d.pipeline_id, st.id == d.stage_id)
        )
        .outerjoin(top, top.c.pipeline_id == d.pipeline_id)
        .where(dc.portal_id == portal_id, d.archived.is_(False))
    )
    cols: list[Any] = []
    for c in wanted:
        value: ColumnElement[Any]
        if c.kind == "open_deals":
            value = _count(is_open)
        elif c.kind == "open_deal_stage_progress":
            progress = cast(st.display_order, Float) * 100.0 / func.nullif(top.c.top, 0)
            value = func.max(case((is_open, progress), else_=None))
        elif c.kind == "closed_lost_deals_last_n_days":
            lost = and_(st.is_closed.is_(True), st.is_won.is_(False))
            value = _count(and_(lost, d.close_date > clock.since(c.window_days), d.close_date <= clock.now))
        else:  # deal_score_trend
            q, value = _score_trend(q, portal_id, c, clock, is_open)
        cols.append(value.label(c.key))
    return q.add_columns(*cols).group_by(dc.company_id).subquery("deal_measures")


def renewal_measure(prop: str, clock: Clock) -> ColumnElement[Any]:
    """Days from today to the company's renewal date (negative once passed)."""
    return day_number(renewal_text(prop), clock.dialect) - today_number(clock.day, clock.dialect)


def _score_at(portal_id: str, name: str, until: datetime | None) -> Any:
    """(deal_id, ts): the newest hs_deal_score point (at or before ``until`` when given)."""
    h = m.DealPropertyHistory
    cond = [h.portal_id == portal_id, h.property == "hs_deal_score"]
    if until is not None:
        cond.append(h.timestamp <= until)
    return (
        select(h.deal_id, func.max(h.timestamp).label("ts")).where(*cond).group_by(h.deal_id).subquery(name)
    )


def _score_trend(
    q: Any, portal_id: str, c: Criterion, clock: Clock, is_open: ColumnElement[bool]
) -> tuple[Any, ColumnElement[Any]]:
    """Average over the open deals of (score at ``now`` − score at the window's start), from the
    deal-score history as it stood at ``now`` (so a past day is scored as it was). A deal with
    no score before the window starts is compared with its first score inside it."""
    d, h = m.Deal, m.DealPropertyHistory
    since = clock.since(c.window_days)
    points = []
    for name, sub in (
        ("now", _score_at(portal_id, f"{c.key}_now", clock.now)),
        ("start", _score_at(portal_id, f"{c.key}_start", since)),
    ):
        value = h.__table__.alias(f"{c.key}_{name}_value")
        q = q.outerjoin(sub, sub.c.deal_id == d.id).outerjoin(
            value,
            and_(
                value.c.portal_id == portal_id,
                value.c.deal_id == d.id,
                value.c.property == "hs_deal_score",
                value.c.timestamp == sub.c.ts,
            ),
        )
        points.append(number(value.c.value, clock.dialect))
    first = (
        select(h.deal_id, func.min(h.timestamp).label("ts"))
        .where(
            h.portal_id == portal_id,
            h.property == "hs_deal_score",
            h.timestamp > since,
            h.timestamp <= clock.now,
        )
        .group_by(h.deal_id)
        .subquery(f"{c.key}_first")
    )
    first_value = h.__table__.alias(f"{c.key}_first_value")
    q = q.outerjoin(first, first.c.deal_id == d.id).outerjoin(
        first_value,
        and_(
            first_value.c.portal_id == portal_id,
            first_value.c.deal_id == d.id,
            first_value.c.property == "hs_deal_score",
            first_value.c.timestamp == first.c.ts,
        ),
    )
    newest = _score_at(portal_id, f"{c.key}_newest", None)
    q = q.outerjoin(newest, newest.c.deal_id == d.id)
    # today (no later point recorded) the deal's own current score; a past day, the history's
    now_score = case((newest.c.ts > clock.now, points[0]), else_=func.coalesce(d.deal_score, points[0]))
    start_score = func.coalesce(points[1], number(first_value.c.value, clock.dialect))
    return q, func.avg(case((is_open, now_score - start_score), else_=None))
