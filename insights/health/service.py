"""What a viewer sees of health: summary, records, one record's history, alerts, feedback.

Every list and figure starts from ``record_readable(viewer, "company")``: a summary's counts and
percentages are over exactly the companies the viewer may see, an alert is listed only while its
company stays visible. Scores, categories and points are the company's own figures (computed over
all its data) and come with a visible company; nothing here names an activity or a measured value.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.health.facts import CriterionPoints, criteria_points
from insights.health.models import (
    CATEGORIES,
    HealthAlert,
    HealthAlertFeedback,
    HealthProfile,
    HealthScore,
    HealthSnapshot,
)
from insights.health.profiles import Criterion
from insights.permissions.readable import record_readable
from insights.permissions.viewer import Viewer

Category = Literal["at_risk", "neutral", "good"]


class CategoryShare(BaseModel):
    category: Category
    count: int
    percent: float


class DayPoint(BaseModel):
    day: str
    average: float | None
    counts: dict[str, int]


class Summary(BaseModel):
    profile_id: str
    profile_name: str
    records: int
    average: float | None
    categories: list[CategoryShare]
    over_time: list[DayPoint] = Field(default_factory=list)


class RecordItem(BaseModel):
    id: str
    name: str
    owner_id: str | None
    score: float
    category: Category


class RecordPage(BaseModel):
    items: list[RecordItem]
    next_offset: int | None = None


class HistoryPoint(BaseModel):
    day: str
    score: float
    category: Category


class RecordDetail(RecordItem):
    profile_id: str
    computed_at: datetime
    criteria: list[CriterionPoints]
    history: list[HistoryPoint]


class AlertOut(BaseModel):
    alert_id: str
    profile_id: str
    kind: Literal["category_change", "score_drop"]
    record: RecordItem
    from_category: Category
    to_category: Category
    from_score: float
    to_score: float
    criteria: list[dict[str, object]]  # [{"key", "label", "from", "to"}]: points only
    created_at: datetime
    expires_at: datetime


class AlertFeedbackIn(BaseModel):
    rating: Literal["useful", "not_useful"]
    comment: str | None = Field(None, max_length=2000)


class AlertFeedbackOut(AlertFeedbackIn):
    feedback_id: str
    alert_id: str
    created_at: datetime


def _pct(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


async def summary(
    session: AsyncSession, viewer: Viewer, profile: HealthProfile, days: int, now: datetime
) -> Summary:
    """Average, count and share per category over the viewer's visible companies; the same over
    each snapshot day of the last ``days`` days (the chart), over the companies visible now."""
    hs, co = HealthScore, m.Company
    visible = and_(co.portal_id == hs.portal_id, co.id == hs.record_id, record_readable(viewer, "company"))
    rows = (
        await session.execute(
            select(hs.category, func.count(), func.avg(hs.score))
            .join(co, visible)
            .where(hs.portal_id == viewer.portal_id, hs.profile_id == profile.id)
            .group_by(hs.category)
        )
    ).all()
    counts = {r[0]: int(r[1]) for r in rows}
    total = sum(counts.values())
    weighted = sum(float(r[2]) * int(r[1]) for r in rows)
    snap = HealthSnapshot
    since = now.date().toordinal() - days + 1
    first_day = datetime.fromordinal(since).date().isoformat()
    seen = and_(co.portal_id == snap.portal_id, co.id == snap.record_id, record_readable(viewer, "company"))
    per_day = (
        await session.execute(
            select(
                snap.day,
                func.avg(snap.score),
                *(func.sum(case((snap.category == c, 1), else_=0)) for c in CATEGORIES),
            )
            .join(co, seen)
            .where(snap.portal_id == viewer.portal_id, snap.profile_id == profile.id, snap.day >= first_day)
            .group_by(snap.day)
            .order_by(snap.day)
        )
    ).all()
    return Summary(
        profile_id=profile.id,
        profile_name=profile.name,
        records=total,
        average=round(weighted / total, 1) if total else None,
        categories=[
            CategoryShare(category=c, count=counts.get(c, 0), percent=_pct(counts.get(c, 0), total))
            for c in CATEGORIES
        ],
        over_time=[
            DayPoint(
                day=r[0],
                average=round(float(r[1]), 1) if r[1] is not None else None,
                counts={c: int(r[2 + i] or 0) for i, c in enumerate(CATEGORIES)},
            )
            for r in per_day
        ],
    )


async def records(
    session: AsyncSession,
    viewer: Viewer,
    profile: HealthProfile,
    category: Category | None,
    limit: int,
    offset: int,
) -> RecordPage:
    hs, co = HealthScore, m.Company
    q = (
        select(co.id, co.name, co.owner_id, hs.score, hs.category)
        .join(hs, and_(hs.portal_id == co.portal_id, hs.record_id == co.id, hs.profile_id == profile.id))
        .where(record_readable(viewer, "company"))
    )
    if category is not None:
        q = q.where(hs.category == category)
    rows = (await session.execute(q.order_by(hs.score, co.id).offset(offset).limit(limit + 1))).all()
    items = [RecordItem(id=r[0], name=r[1], owner_id=r[2], score=r[3], category=r[4]) for r in rows[:limit]]
    return RecordPage(items=items, next_offset=offset + limit if len(rows) > limit else None)


async def record_detail(
    session: AsyncSession, viewer: Viewer, profile: HealthProfile, record_id: str, days: int = 90
) -> RecordDetail | None:
    """A visible company's score, points per criterion and history; None when hidden or unscored."""
    hs, co, snap = HealthScore, m.Company, HealthSnapshot
    row = (
        await session.execute(
            select(co, hs)
            .join(hs, and_(hs.portal_id == co.portal_id, hs.record_id == co.id, hs.profile_id == profile.id))
            .where(co.id == record_id, record_readable(viewer, "company"))
        )
    ).first()
    if row is None:
        return None
    company, score = row
    history = (
        await session.execute(
            select(snap.day, snap.score, snap.category)
            .where(
                snap.portal_id == viewer.portal_id, snap.profile_id == profile.id, snap.record_id == record_id
            )
            .order_by(snap.day.desc())
            .limit(days)
        )
    ).all()
    return RecordDetail(
        id=company.id,
        name=company.name,
        owner_id=company.owner_id,
        score=score.score,
        category=score.category,
        profile_id=profile.id,
        computed_at=score.computed_at,
        criteria=criteria_points(profile, score.points),
        history=[HistoryPoint(day=d, score=s, category=c) for d, s, c in reversed(history)],
    )


async def alerts(session: AsyncSession, viewer: Viewer, now: datetime) -> list[AlertOut]:
    """The viewer's active alerts (raised for them, not expired) on companies they may see now."""
    al, co = HealthAlert, m.Company
    rows = (
        await session.execute(
            select(al, co.name, co.owner_id, HealthProfile)
            .join(co, and_(co.portal_id == al.portal_id, co.id == al.record_id))
            .join(
                HealthProfile,
                and_(HealthProfile.portal_id == al.portal_id, HealthProfile.id == al.profile_id),
            )
            .where(
                al.portal_id == viewer.portal_id,
                al.user_id == viewer.user_id,
                al.created_at <= now,
                al.expires_at > now,
                record_readable(viewer, "company"),
            )
            .order_by(al.created_at.desc(), al.id)
        )
    ).all()
    out = []
    for a, name, owner_id, profile in rows:
        labels = {c["key"]: Criterion.model_validate(c).label() for c in profile.criteria}
        out.append(
            AlertOut(
                alert_id=a.id,
                profile_id=a.profile_id,
                kind=a.kind,
                record=RecordItem(
                    id=a.record_id, name=name, owner_id=owner_id, score=a.to_score, category=a.to_category
                ),
                from_category=a.from_category,
                to_category=a.to_category,
                from_score=a.from_score,
                to_score=a.to_score,
                criteria=[{**c, "label": labels.get(str(c["key"]), str(c["key"]))} for c in a.criteria],
                created_at=a.created_at,
                expires_at=a.expires_at,
            )
        )
    return out


async def give_alert_feedback(
    session: AsyncSession, viewer: Viewer, alert_id: str, body: AlertFeedbackIn, now: datetime
) -> AlertFeedbackOut | None:
    """Feedback from the user the alert was raised for, while its company is visible; else None."""
    al, co = HealthAlert, m.Company
    found = await session.scalar(
        select(al.id)
        .join(co, and_(co.portal_id == al.portal_id, co.id == al.record_id))
        .where(
            al.portal_id == viewer.portal_id,
            al.id == alert_id,
            al.user_id == viewer.user_id,
            record_readable(viewer, "company"),
        )
    )
    if found is None:
        return None
    row = HealthAlertFeedback(
        portal_id=viewer.portal_id,
        id=uuid.uuid4().hex,
        alert_id=alert_id,
        user_id=viewer.user_id,
        rating=body.rating,
        comment=body.comment,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return AlertFeedbackOut(
        feedback_id=row.id, alert_id=alert_id, rating=body.rating, comment=body.comment, created_at=now
    )
