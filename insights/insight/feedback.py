"""Durable feedback on insights, stored in the same transaction as its link to what was shown."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.insight.store import InsightFeedback, StoredInsight, shown_insight

Rating = Literal["helpful", "not_helpful"]
FeedbackReason = Literal["inaccurate", "missing_information", "not_relevant", "outdated", "other"]


class FeedbackIn(BaseModel):
    rating: Rating
    reason: FeedbackReason | None = None
    comment: str | None = Field(None, max_length=2000)


class FeedbackOut(FeedbackIn):
    feedback_id: str
    insight_id: str
    user_id: str
    created_at: datetime


async def give_feedback(
    session: AsyncSession, portal_id: str, user_id: str, insight_id: str, body: FeedbackIn
) -> FeedbackOut | None:
    """Store feedback on an insight this user was shown; None when they were not (→ 404)."""
    if await shown_insight(session, portal_id, insight_id, user_id) is None:
        return None
    row = InsightFeedback(
        portal_id=portal_id,
        id=uuid.uuid4().hex,
        insight_id=insight_id,
        user_id=user_id,
        rating=body.rating,
        reason=body.reason,
        comment=body.comment,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return FeedbackOut(
        feedback_id=row.id,
        insight_id=insight_id,
        user_id=user_id,
        rating=body.rating,
        reason=body.reason,
        comment=body.comment,
        created_at=row.created_at,
    )


async def export_feedback(session: AsyncSession, portal_id: str | None = None) -> AsyncIterator[str]:
    """JSON Lines: each feedback with the exact insight it was about (for eval cases). Feedback on an
    insight purged since (its sources were archived) is still exported, rating and comment kept, with
    ``insight: null`` and ``insight_purged: true``: nothing a rep said is lost, nothing purged returns."""
    stmt = (
        select(InsightFeedback, StoredInsight)
        .outerjoin(
            StoredInsight,
            (StoredInsight.portal_id == InsightFeedback.portal_id)
            & (StoredInsight.id == InsightFeedback.insight_id),
        )
        .order_by(InsightFeedback.created_at, InsightFeedback.id)
    )
    if portal_id:
        stmt = stmt.where(InsightFeedback.portal_id == portal_id)
    for fb, ins in (await session.execute(stmt)).all():
        yield json.dumps(
            {
                "portal_id": fb.portal_id,
                "feedback_id": fb.id,
                "user_id": fb.user_id,
                "rating": fb.rating,
                "reason": fb.reason,
                "comment": fb.comment,
                "created_at": fb.created_at.isoformat(),
                "insight_id": fb.insight_id,
                "insight_purged": ins is None,
                "insight": None
                if ins is None
                else {
                    "id": ins.id,
                    "deal_id": ins.deal_id,
                    "model": ins.model,
                    "prompt_version": ins.prompt_version,
                    "fingerprint": ins.fingerprint,
                    "body": ins.body,
                },
            }
        )
