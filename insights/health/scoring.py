"""Score every company of an account under one profile: one SELECT, points computed in SQL.

The statement joins the companies to one GROUP BY over their activities and one over their deals,
maps each measured value to its points with a CASE over the thresholds, and gives the weighted
score. No query runs per company; the measured values never leave the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from insights.crm import models as m
from insights.health.measures import (
    ACTIVITY_KINDS,
    DEAL_KINDS,
    Clock,
    activity_measures,
    deal_measures,
    renewal_measure,
)
from insights.health.models import HealthProfile
from insights.health.profiles import Criterion, category_of

COUNTS = {
    "meetings_last_n_days",
    "calls_last_n_days",
    "emails_last_n_days",
    "overdue_high_priority_tasks",
    "open_deals",
    "closed_lost_deals_last_n_days",
}


@dataclass(frozen=True)
class Scored:
    record_id: str
    owner_id: str | None
    score: float
    category: str
    points: dict[str, float]


def points_case(value: ColumnElement[Any], c: Criterion) -> ColumnElement[Any]:
    """``points[i]`` for the number ``i`` of thresholds at or below the value; missing → missing_points."""
    whens: list[tuple[ColumnElement[bool], Any]] = [(value.is_(None), literal(c.missing_points))]
    whens += [(value < t, literal(c.points[i])) for i, t in enumerate(c.thresholds)]
    return cast(case(*whens, else_=literal(c.points[-1])), Float)


def scoring_statement(portal_id: str, profile: HealthProfile, clock: Clock) -> Any:
    criteria = [Criterion.model_validate(c) for c in profile.criteria]
    co = m.Company
    acts = activity_measures(portal_id, criteria, clock)
    deals = deal_measures(portal_id, criteria, clock)
    q = select(co.id, co.owner_id).where(co.portal_id == portal_id, co.archived.is_(False))
    if acts is not None:
        q = q.outerjoin(acts, acts.c.company_id == co.id)
    if deals is not None:
        q = q.outerjoin(deals, deals.c.company_id == co.id)
    total = sum(c.weight for c in criteria)
    weighted: list[ColumnElement[Any]] = []
    for c in criteria:
        if c.kind in ACTIVITY_KINDS:
            assert acts is not None
            value = acts.c[c.key]
        elif c.kind in DEAL_KINDS:
            assert deals is not None
            value = deals.c[c.key]
        else:  # days_until_renewal (validated: the profile names its property)
            assert profile.renewal_property is not None
            value = renewal_measure(profile.renewal_property, clock)
        if c.kind == "days_since_last_activity":  # none within the lookback: the last band
            value = func.coalesce(value, literal(max(c.thresholds)))
        elif c.kind in COUNTS:  # a company with nothing to count counts zero (not "missing")
            value = func.coalesce(value, literal(0))
        pts = points_case(value, c)
        q = q.add_columns(pts.label(f"p_{c.key}"))
        weighted.append(pts * c.weight)
    score = sum(weighted[1:], weighted[0]) / total
    return q.add_columns(score.label("score")).order_by(co.id), criteria


async def score_all(session: AsyncSession, profile: HealthProfile, clock: Clock) -> list[Scored]:
    """Every non-archived company of the profile's account, scored (ordered by id)."""
    stmt, criteria = scoring_statement(profile.portal_id, profile, clock)
    rows = (await session.execute(stmt)).all()
    out: list[Scored] = []
    for r in rows:
        score = round(float(r.score), 2)
        out.append(
            Scored(
                record_id=r.id,
                owner_id=r.owner_id,
                score=score,
                category=category_of(score, profile.at_risk_below, profile.good_from),
                points={c.key: round(float(getattr(r, f"p_{c.key}")), 2) for c in criteria},
            )
        )
    return out
