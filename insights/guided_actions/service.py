"""Listing a user's active actions (as a viewer may see them) and storing feedback on them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.guided_actions.models import GuidedAction, GuidedActionFeedback
from insights.permissions.filters import owner_clause
from insights.permissions.viewer import Viewer

Category = Literal["all", "closing", "prospecting"]
TABLES = {
    "contact": m.Contact,
    "lead": m.Lead,
    "deal": m.Deal,
    "meeting": m.Activity,
    "call": m.Activity,
    "task": m.Activity,
}


class ActionRecord(BaseModel):
    type: str
    id: str
    name: str


class ActionOut(BaseModel):
    action_id: str
    rule: str
    title: str
    category: str
    created_at: datetime
    records: list[ActionRecord]
    why: list[str]
    contact_ids: list[str] = Field(default_factory=list)
    company_ids: list[str] = Field(default_factory=list)


class ActionFeedbackIn(BaseModel):
    rating: Literal["yes_keep_it_up", "not_really"]
    comment: str | None = Field(None, max_length=2000)


class ActionFeedbackOut(ActionFeedbackIn):
    feedback_id: str
    action_id: str
    created_at: datetime


async def _visible(
    session: AsyncSession, viewer: Viewer, records: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (type, id) records the viewer may see — one filtered query per type."""
    out: set[tuple[str, str]] = set()
    for kind in {t for t, _ in records}:
        table = TABLES.get(kind)
        if table is None:
            continue
        ids = [i for t, i in records if t == kind]
        rows = await session.scalars(
            select(table.id).where(
                table.portal_id == viewer.portal_id,
                table.id.in_(ids),
                owner_clause(viewer, kind, table.owner_id),
            )
        )
        out |= {(kind, i) for i in rows}
    return out


async def list_actions(
    session: AsyncSession, user_id: str, viewer: Viewer, category: Category
) -> list[ActionOut]:
    """The user's active actions, keeping only records ``viewer`` may see (an action with none is hidden)."""
    stmt = select(GuidedAction).where(
        GuidedAction.portal_id == viewer.portal_id,
        GuidedAction.user_id == user_id,
        GuidedAction.expired_at.is_(None),
    )
    if category != "all":
        stmt = stmt.where(GuidedAction.category == category)
    actions = (
        (await session.execute(stmt.order_by(GuidedAction.rule_number, GuidedAction.created_at)))
        .scalars()
        .all()
    )
    visible = await _visible(session, viewer, [(r["type"], r["id"]) for a in actions for r in a.records])
    out = []
    for a in actions:
        records = [ActionRecord(**r) for r in a.records if (r["type"], r["id"]) in visible]
        if records:
            out.append(
                ActionOut(
                    action_id=a.id,
                    rule=a.rule,
                    title=a.title,
                    category=a.category,
                    created_at=a.created_at,
                    records=records,
                    why=a.why,
                    contact_ids=a.contact_ids,
                    company_ids=a.company_ids,
                )
            )
    return out


async def give_action_feedback(
    session: AsyncSession, viewer: Viewer, action_id: str, body: ActionFeedbackIn
) -> ActionFeedbackOut | None:
    action = await session.get(GuidedAction, (viewer.portal_id, action_id))
    if action is None or action.user_id != viewer.user_id:
        return None
    row = GuidedActionFeedback(
        portal_id=viewer.portal_id,
        id=uuid.uuid4().hex,
        action_id=action_id,
        user_id=viewer.user_id,
        rating=body.rating,
        comment=body.comment,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return ActionFeedbackOut(
        feedback_id=row.id,
        action_id=action_id,
        rating=body.rating,
        comment=body.comment,
        created_at=row.created_at,
    )
