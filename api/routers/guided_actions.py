"""Guided actions: the viewer's active suggestions (super admins may look at another user's)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.auth import ViewerDep
from api.deps import SessionDep
from api.errors import Forbidden, NotFound
from insights.guided_actions.runner import evaluate
from insights.guided_actions.service import (
    ActionFeedbackIn,
    ActionFeedbackOut,
    ActionOut,
    Category,
    give_action_feedback,
    list_actions,
)
from insights.permissions.viewer import load_viewer

router = APIRouter(prefix="/v1", tags=["guided actions"])


@router.get("/guided-actions", response_model=dict[str, list[ActionOut]])
async def guided_actions(
    viewer: ViewerDep, session: SessionDep, category: Category = "all", user_id: str | None = None
) -> dict[str, list[ActionOut]]:
    """Rules are evaluated at request time (idempotent), then the active actions are listed."""
    target = viewer
    if user_id is not None and user_id != viewer.user_id:
        if not viewer.super_admin:
            raise Forbidden("Only super admins may view another user's actions.")
        other = await load_viewer(session, viewer.portal_id, user_id)
        if other is None:
            raise NotFound()
        target = other
    # evaluated over the target user's readable records, listed through their current visibility
    await evaluate(session, target.portal_id, target.user_id, datetime.now(UTC), viewer=target)
    # read-only impersonation: the other user's actions, as that user sees them
    return {"items": await list_actions(session, target.user_id, target, category)}


@router.post("/guided-actions/{action_id}/feedback", status_code=201, response_model=ActionFeedbackOut)
async def action_feedback(
    action_id: str, body: ActionFeedbackIn, viewer: ViewerDep, session: SessionDep
) -> ActionFeedbackOut:
    stored = await give_action_feedback(session, viewer, action_id, body)
    if stored is None:
        raise NotFound()
    return stored
