"""Deals the viewer may see, newest activity first (deal pickers, tests)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.auth import ViewerDep
from api.deps import SessionDep
from api.errors import ProblemError
from insights.crm.models import Deal, PipelineStage
from insights.permissions.filters import deal_visible_clause

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


@router.get("/deals", response_model=DealPage)
async def list_deals(
    viewer: ViewerDep, session: SessionDep, limit: int = Query(50, ge=1, le=200), cursor: str | None = None
) -> DealPage:
    offset = 0
    if cursor:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"])
        except Exception:
            raise BadCursor() from None
    rows = (
        await session.execute(
            select(Deal, PipelineStage.label)
            .outerjoin(
                PipelineStage,
                (PipelineStage.portal_id == Deal.portal_id)
                & (PipelineStage.pipeline_id == Deal.pipeline_id)
                & (PipelineStage.id == Deal.stage_id),
            )
            .where(deal_visible_clause(viewer))
            .order_by(Deal.last_activity_at.desc().nulls_last(), Deal.id)
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
