"""Score profiles: weighted criteria, each mapping a measured value to points through thresholds.

A criterion's value ``v`` earns ``points[i]`` where ``i`` is the number of thresholds ``t`` with
``t <= v`` (``thresholds`` strictly ascending, one more points than thresholds): with thresholds
``[7, 30]`` and points ``[100, 50, 0]``, 6 days earns 100, exactly 7 earns 50, exactly 30 earns 0.
A record with no value (no email to share out, no renewal date) earns ``missing_points``; for
the days since the last activity, none within its highest threshold earns the last band. The score is
the weighted mean of the points (0–100); At risk below ``at_risk_below``, Good from ``good_from``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.health.models import HealthProfile

Kind = Literal[
    "days_since_last_activity",
    "meetings_last_n_days",
    "calls_last_n_days",
    "emails_last_n_days",
    "inbound_email_share",
    "overdue_high_priority_tasks",
    "open_deals",
    "open_deal_stage_progress",
    "closed_lost_deals_last_n_days",
    "deal_score_trend",
    "days_until_renewal",
]
WINDOWED = {
    "meetings_last_n_days",
    "calls_last_n_days",
    "emails_last_n_days",
    "inbound_email_share",
    "closed_lost_deals_last_n_days",
    "deal_score_trend",
}
LABELS: dict[str, str] = {
    "days_since_last_activity": "Days since the last activity",
    "meetings_last_n_days": "Meetings in the last {n} days",
    "calls_last_n_days": "Calls in the last {n} days",
    "emails_last_n_days": "Emails in the last {n} days",
    "inbound_email_share": "Share of inbound emails in the last {n} days",
    "overdue_high_priority_tasks": "Overdue high-priority tasks",
    "open_deals": "Open deals",
    "open_deal_stage_progress": "Stage reached by the open deals",
    "closed_lost_deals_last_n_days": "Deals lost in the last {n} days",
    "deal_score_trend": "Deal-score trend of the open deals over {n} days",
    "days_until_renewal": "Days until renewal",
}


class ProfileError(ValueError):
    """A profile the account cannot use; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Criterion(BaseModel):
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    kind: Kind
    weight: float = Field(ge=0, le=1000)
    window_days: int = Field(30, ge=1, le=3650)
    thresholds: list[float] = Field(min_length=1, max_length=20)
    points: list[float] = Field(min_length=2, max_length=21)
    missing_points: float = Field(0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Criterion:
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError("thresholds must be strictly ascending")
        if len(self.points) != len(self.thresholds) + 1:
            raise ValueError("points must have one more entry than thresholds")
        if any(not 0 <= p <= 100 for p in self.points):
            raise ValueError("points must be between 0 and 100")
        return self

    def label(self) -> str:
        return LABELS[self.kind].format(n=self.window_days)


class ProfileIn(BaseModel):
    """A profile as given: each check is a field validator, so a 422 names the field at fault."""

    name: str = Field(min_length=1, max_length=255)
    object_type: Literal["company"] = "company"
    criteria: list[Criterion] = Field(min_length=1, max_length=30)
    at_risk_below: float = Field(40, ge=0, le=100)
    good_from: float = Field(70, ge=0, le=100)
    drop_alert_points: float | None = Field(None, gt=0, le=100)
    renewal_property: str | None = Field(
        None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_]+$", validate_default=True
    )
    active: bool = True

    @field_validator("criteria")
    @classmethod
    def _weights(cls, criteria: list[Criterion]) -> list[Criterion]:
        if sum(c.weight for c in criteria) <= 0:
            raise ValueError("the criteria's weights must sum to more than 0")
        if len({c.key for c in criteria}) != len(criteria):
            raise ValueError("criterion keys must be unique")
        return criteria

    @field_validator("good_from")
    @classmethod
    def _bands(cls, good_from: float, info: ValidationInfo) -> float:
        at_risk = info.data.get("at_risk_below")
        if at_risk is not None and at_risk >= good_from:
            raise ValueError("at_risk_below must be lower than good_from")
        return good_from

    @field_validator("renewal_property")
    @classmethod
    def _renewal(cls, prop: str | None, info: ValidationInfo) -> str | None:
        criteria = info.data.get("criteria") or []
        if prop is None and any(c.kind == "days_until_renewal" for c in criteria):
            raise ValueError("a days_until_renewal criterion needs renewal_property")
        return prop


class ProfilePatch(BaseModel):
    """Fields to change; the result is validated as a whole profile."""

    name: str | None = Field(None, min_length=1, max_length=255)
    criteria: list[Criterion] | None = Field(None, min_length=1, max_length=30)
    at_risk_below: float | None = Field(None, ge=0, le=100)
    good_from: float | None = Field(None, ge=0, le=100)
    drop_alert_points: float | None = Field(None, gt=0, le=100)
    renewal_property: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_]+$")
    active: bool | None = None


class ProfileOut(ProfileIn):
    id: str
    version: int
    created_at: datetime
    updated_at: datetime


def to_out(p: HealthProfile) -> ProfileOut:
    return ProfileOut(
        id=p.id,
        version=p.version,
        created_at=p.created_at,
        updated_at=p.updated_at,
        name=p.name,
        object_type="company",
        criteria=[Criterion.model_validate(c) for c in p.criteria],
        at_risk_below=p.at_risk_below,
        good_from=p.good_from,
        drop_alert_points=p.drop_alert_points,
        renewal_property=p.renewal_property,
        active=p.active,
    )


def category_of(score: float, at_risk_below: float, good_from: float) -> str:
    if score < at_risk_below:
        return "at_risk"
    return "good" if score >= good_from else "neutral"


async def check_properties(session: AsyncSession, portal_id: str, profile: ProfileIn) -> None:
    """The renewal property must be one the account's companies hold, and hold dates.

    Raises ProfileError naming the field; the message never echoes a stored value.
    """
    from insights.health.renewal import renewal_stats  # SQL over companies.properties

    prop = profile.renewal_property
    if prop is None:
        return
    present, bad = await renewal_stats(session, portal_id, prop)
    if present == 0:
        raise ProfileError("renewal_property", "no company of this account has this property")
    if bad:
        raise ProfileError("renewal_property", "this property holds values that are not dates")


async def create_profile(
    session: AsyncSession, portal_id: str, body: ProfileIn, now: datetime
) -> HealthProfile:
    await check_properties(session, portal_id, body)
    row = HealthProfile(
        portal_id=portal_id,
        id=uuid.uuid4().hex,
        created_at=now,
        updated_at=now,
        version=1,
        **_columns(body),
    )
    session.add(row)
    await session.flush()
    return row


async def update_profile(
    session: AsyncSession, row: HealthProfile, patch: ProfilePatch, now: datetime
) -> HealthProfile:
    merged = to_out(row).model_dump(include=set(ProfileIn.model_fields)) | patch.model_dump(
        exclude_unset=True
    )
    try:
        body = ProfileIn.model_validate(merged)
    except ValidationError as exc:  # the merged profile is inconsistent: name the first field at fault
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ProfileError(field, str(first.get("msg", "invalid profile"))) from None
    await check_properties(session, row.portal_id, body)
    for k, v in _columns(body).items():
        setattr(row, k, v)
    row.version += 1
    row.updated_at = now
    await session.flush()
    return row


def _columns(body: ProfileIn) -> dict[str, object]:
    return {
        "name": body.name,
        "object_type": body.object_type,
        "criteria": [c.model_dump() for c in body.criteria],
        "at_risk_below": body.at_risk_below,
        "good_from": body.good_from,
        "drop_alert_points": body.drop_alert_points,
        "renewal_property": body.renewal_property,
        "active": body.active,
    }


async def profiles_of(
    session: AsyncSession, portal_id: str, *, active_only: bool = False
) -> list[HealthProfile]:
    q = select(HealthProfile).where(HealthProfile.portal_id == portal_id)
    if active_only:
        q = q.where(HealthProfile.active.is_(True))
    return list((await session.scalars(q.order_by(HealthProfile.created_at, HealthProfile.id))).all())
