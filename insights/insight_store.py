"""Stored insights: exactly what was shown, to whom, for feedback, copy and de-duplication.

An insight is stored once per distinct input (deal, what was visible, prompt, model, settings,
day). Viewers who see the same data share it; each viewer it was shown to gets a row, and only
they may give feedback on it or fetch it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from insights.crm.models import Id, UTCDateTime
from insights.db import Base
from insights.schemas import Insight


class StoredInsight(Base):
    __tablename__ = "insights"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id)
    input_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    model: Mapped[str | None] = mapped_column(String(255), nullable=True)
    prompt_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the response as shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_insights_input", "portal_id", "deal_id", "input_hash"),)


class InsightView(Base):
    """One row per insight and user it was shown to."""

    __tablename__ = "insight_views"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    insight_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(Id, primary_key=True)
    first_shown_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightFeedback(Base):
    __tablename__ = "insight_feedback"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    insight_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(Id)
    rating: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_insight_feedback_insight", "portal_id", "insight_id"),)


async def find_by_input(
    session: AsyncSession, portal_id: str, deal_id: str, input_hash: str
) -> StoredInsight | None:
    return (
        await session.execute(
            select(StoredInsight)
            .where(
                StoredInsight.portal_id == portal_id,
                StoredInsight.deal_id == deal_id,
                StoredInsight.input_hash == input_hash,
            )
            .order_by(StoredInsight.created_at.desc())
            .limit(1)
        )
    ).scalar()


async def record_view(
    session: AsyncSession, portal_id: str, insight_id: str, user_id: str, now: datetime
) -> None:
    if await session.get(InsightView, (portal_id, insight_id, user_id)) is None:
        session.add(
            InsightView(portal_id=portal_id, insight_id=insight_id, user_id=user_id, first_shown_at=now)
        )
        await session.flush()


async def shown_insight(
    session: AsyncSession, portal_id: str, insight_id: str, user_id: str
) -> StoredInsight | None:
    """The stored insight, only if it was shown to this user (else None → 404)."""
    return (
        await session.execute(
            select(StoredInsight)
            .join(
                InsightView,
                (InsightView.portal_id == StoredInsight.portal_id)
                & (InsightView.insight_id == StoredInsight.id),
            )
            .where(
                StoredInsight.portal_id == portal_id,
                StoredInsight.id == insight_id,
                InsightView.user_id == user_id,
            )
        )
    ).scalar()


def to_response(row: StoredInsight, *, cached: bool) -> Insight:
    return Insight.model_validate({**row.body, "cached": cached})
