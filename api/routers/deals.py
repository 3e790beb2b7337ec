"""Deals the viewer may see, newest activity first (deal pickers, tests)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.auth import ViewerDep
from api.deps import SessionDep
from api.errors import ProblemError
from insights.crm.models import Deal, PipelineStage
from insights.permissions.readable import deal_readable, newest_visible_activity

router = APIRouter(prefix="/v1", tags=["deals"])


class DealItem(BaseModel):
    id: str
    name: str
    stage: str | None
    amount: float | None
    close_date: datetime | None
    owner_id: str | None


class DealPage(BaseModel):
    items: list[DealItem]
    next_cursor: str | None = None


class BadCursor(ProblemError):
    status = 422
    detail = "Invalid value for: cursor."


MAX_OFFSET = 1_000_000


def _offset(cursor: str | None) -> int:
    """The opaque cursor is a base64 JSON offset; anything else is the client's error (422)."""
    if not cursor:
        return 0
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]
    except (ValueError, TypeError, KeyError, IndexError):
        raise BadCursor() from None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_OFFSET:
        raise BadCursor()
    return value


@router.get("/deals", response_model=DealPage)
async def list_deals(
    viewer: ViewerDep, session: SessionDep, limit: int = Query(50, ge=1, le=200), cursor: str | None = None
) -> DealPage:
    offset = _offset(cursor)
    # ordered by the newest activity THIS viewer sees on each deal (hidden ones never move a deal)
    newest = newest_visible_activity(viewer, datetime.now(UTC))
    rows = (
        await session.execute(
            select(Deal, PipelineStage.label)
            .outerjoin(
                PipelineStage,
                (PipelineStage.portal_id == Deal.portal_id)
                & (PipelineStage.pipeline_id == Deal.pipeline_id)
                & (PipelineStage.id == Deal.stage_id),
            )
            .outerjoin(newest, newest.c.deal_id == Deal.id)
            .where(deal_readable(viewer))
            .order_by(newest.c.newest.desc().nulls_last(), Deal.id)
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    items = [
        DealItem(
            id=d.id,
            name=d.name,
            stage=label or d.stage_id,
            amount=d.amount,
            close_date=d.close_date,
            owner_id=d.owner_id,
        )
        for d, label in rows[:limit]
    ]
    nxt = (
        base64.urlsafe_b64encode(json.dumps({"o": offset + limit}).encode()).decode()
        if len(rows) > limit
        else None
    )
    return DealPage(items=items, next_cursor=nxt)
