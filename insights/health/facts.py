"""A company's health as a deal insight carries it: score, category and points per criterion.

Read for companies the viewer may already see (the retriever passes only readable ones): the score
is a figure of the company and comes with it; its explanation is criteria and points only.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.health.models import HealthProfile, HealthScore
from insights.health.profiles import Criterion


class CriterionPoints(BaseModel):
    key: str
    label: str
    weight: float
    points: float


class CompanyHealth(BaseModel):
    profile_id: str
    profile_name: str
    score: float
    category: str  # at_risk | neutral | good
    recent_peak: float | None = None
    drop_alert_points: float | None = None
    criteria: list[CriterionPoints] = Field(default_factory=list)


def criteria_points(profile: HealthProfile, points: dict[str, float]) -> list[CriterionPoints]:
    out = []
    for raw in profile.criteria:
        c = Criterion.model_validate(raw)
        if c.key in points:
            out.append(CriterionPoints(key=c.key, label=c.label(), weight=c.weight, points=points[c.key]))
    return out


async def company_health(
    session: AsyncSession, portal_id: str, company_ids: Sequence[str]
) -> dict[str, list[CompanyHealth]]:
    """Each listed company's current score under every active profile (profiles in creation order)."""
    if not company_ids:
        return {}
    hs, hp = HealthScore, HealthProfile
    rows = (
        await session.execute(
            select(hs, hp)
            .join(hp, and_(hp.portal_id == hs.portal_id, hp.id == hs.profile_id))
            .where(hs.portal_id == portal_id, hs.record_id.in_(list(company_ids)), hp.active.is_(True))
            .order_by(hs.record_id, hp.created_at, hp.id)
        )
    ).all()
    out: dict[str, list[CompanyHealth]] = {}
    for score, profile in rows:
        out.setdefault(score.record_id, []).append(
            CompanyHealth(
                profile_id=profile.id,
                profile_name=profile.name,
                score=score.score,
                category=score.category,
                recent_peak=score.recent_peak,
                drop_alert_points=profile.drop_alert_points,
                criteria=criteria_points(profile, score.points),
            )
        )
    return out
