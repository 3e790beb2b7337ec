"""Health tables: score profiles, each record's current score, daily snapshots, alerts, feedback.

A score row holds the points of each criterion and never the measured values: a count of meetings
or a last-activity date computed over all of a company's data could tell a viewer about activities
their own visibility hides (permissions.md, 9). Points explain the score; values stay in SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.models import Id, UTCDateTime

CATEGORIES = ("at_risk", "neutral", "good")


class HealthProfile(Base):
    __tablename__ = "health_profiles"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    object_type: Mapped[str] = mapped_column(String(16), default="company")
    # [{"key", "kind", "weight", "window_days", "thresholds": [...], "points": [...], "missing_points"}]
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    at_risk_below: Mapped[float] = mapped_column(Float, default=40)
    good_from: Mapped[float] = mapped_column(Float, default=70)
    drop_alert_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    renewal_property: Mapped[str | None] = mapped_column(String(128), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the day (UTC, ISO) of the last recompute: a read finding an older one recomputes first
    computed_day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    computed_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HealthScore(Base):
    """A record's current score under one profile, with the points of each criterion."""

    __tablename__ = "health_scores"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(Id, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(16))
    points: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # the highest score of the 14 days' snapshots before today: a sharp fall is a deal-insight risk
    recent_peak: Mapped[float | None] = mapped_column(Float, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_health_scores_category", "portal_id", "profile_id", "category"),)


class HealthSnapshot(Base):
    """One record's score and category on one day (the distribution and the average over time)."""

    __tablename__ = "health_snapshots"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, UTC
    record_id: Mapped[str] = mapped_column(Id, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(16))
    points: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_health_snapshots_record", "portal_id", "profile_id", "record_id", "day"),)


class HealthAlert(Base):
    __tablename__ = "health_alerts"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(Id)
    user_id: Mapped[str] = mapped_column(Id)  # the record's owner when it was raised
    kind: Mapped[str] = mapped_column(String(16))  # category_change | score_drop
    day: Mapped[str] = mapped_column(String(10))
    from_category: Mapped[str] = mapped_column(String(16))
    to_category: Mapped[str] = mapped_column(String(16))
    from_score: Mapped[float] = mapped_column(Float)
    to_score: Mapped[float] = mapped_column(Float)
    # the criteria that moved: [{"key", "from", "to"}] (points only)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_health_alerts_event", "portal_id", "profile_id", "record_id", "day", "kind", unique=True),
        Index("ix_health_alerts_user", "portal_id", "user_id", "expires_at"),
    )


class HealthAlertFeedback(Base):
    __tablename__ = "health_alert_feedback"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(Id)
    rating: Mapped[str] = mapped_column(String(16))  # useful | not_useful
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_health_alert_feedback_alert", "portal_id", "alert_id"),)
