"""Listing a user's active actions (as a viewer may see them) and storing feedback on them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.guided_actions.models import GuidedAction, GuidedActionFeedback
from insights.guided_actions.runner import RULES
from insights.guided_actions.visible import readable_refs
from insights.guided_actions.visible import ref as _ref
from insights.permissions.viewer import Viewer

Category = Literal["all", "closing", "prospecting"]
# rules whose trigger key is the triggering activity's id
ACTIVITY_TRIGGERED = frozenset(r.key for r in RULES if r.activity_trigger)
GROUPED = frozenset(r.key for r in RULES if r.grouped)


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


def _refs_of(a: GuidedAction) -> set[tuple[str, str]]:
    refs = {_ref(r["type"], r["id"]) for r in a.records}
    refs |= {("contact", c) for c in a.contact_ids or []} | {("company", c) for c in a.company_ids or []}
    refs |= {_ref(t, i) for w in a.why or [] if isinstance(w, dict) for t, i in w.get("refs", [])}
    if a.rule in ACTIVITY_TRIGGERED and a.trigger_key:
        refs.add(("activity", a.trigger_key))
    return refs


def _shown(a: GuidedAction, visible: set[tuple[str, str]]) -> ActionOut | None:
    """The action as the viewer may see it now, or None when one of its records (every member, for
    a grouped action) or its triggering activity is hidden."""
    records = [
        ActionRecord(type=r["type"], id=r["id"], name=r.get("name", ""))
        for r in a.records
        if _ref(r["type"], r["id"]) in visible
    ]
    # a grouped action lists its visible members; any other action every record it rests on
    if not records or (a.rule not in GROUPED and len(records) < len(a.records)):
        return None
    if a.rule in ACTIVITY_TRIGGERED and a.trigger_key and ("activity", a.trigger_key) not in visible:
        return None
    why = [
        w["text"]
        for w in a.why or []
        # a sentence stored before sentences named their records cannot be checked: never shown
        if isinstance(w, dict) and all(_ref(t, i) in visible for t, i in w.get("refs", []))
    ]
    return ActionOut(
        action_id=a.id,
        rule=a.rule,
        title=a.title,
        category=a.category,
        created_at=a.created_at,
        records=records,
        why=why,
        contact_ids=[c for c in a.contact_ids or [] if ("contact", c) in visible],
        company_ids=[c for c in a.company_ids or [] if ("company", c) in visible],
    )


async def list_actions(
    session: AsyncSession, user_id: str, viewer: Viewer, category: Category
) -> list[ActionOut]:
    """The user's active actions as ``viewer`` may see them now (permissions.md rule 8): what was
    stored at creation (records, contacts, companies, why sentences) passes the viewer's current
    visibility; a hidden record is left out, with every why sentence naming it, and an action whose
    primary record or triggering activity is hidden is not listed."""
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
    visible = await readable_refs(session, viewer, {ref for a in actions for ref in _refs_of(a)})
    return [shown for a in actions if (shown := _shown(a, visible)) is not None]


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
