"""Deal insights, their paste-ready copy, and feedback on them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse

from api.auth import ClaimsDep, ViewerDep, current_viewer
from api.deps import SessionDep
from api.errors import NotFound, TooManyRequests
from insights.insight.context import ActivityItem
from insights.insight.feedback import FeedbackIn, FeedbackOut, give_feedback
from insights.insight.render import render
from insights.insight.retrieval import deal_context
from insights.insight.schemas import Insight
from insights.insight.service import STALE, InsightService
from insights.permissions.viewer import Viewer, ViewerCache

router = APIRouter(prefix="/v1", tags=["insights"])


async def get_service(request: Request) -> InsightService:
    service: InsightService = request.app.state.insights  # app.state is untyped: set by create_app
    return service


ServiceDep = Annotated[InsightService, Depends(get_service)]


@router.get("/deals/{deal_id}/insights", response_model=Insight)
async def deal_insights(
    deal_id: str,
    claims: ClaimsDep,
    session: SessionDep,
    service: ServiceDep,
    request: Request,
    refresh: bool = False,
) -> Response:
    """The viewer's insight on the deal (cached; ``refresh=true`` rebuilds, rate-limited per user)."""
    viewers: ViewerCache = request.app.state.viewers
    if refresh:
        viewer = await current_viewer(claims, session, request)
        if not request.app.state.refresh_limiter.allow(f"{viewer.portal_id}:{viewer.user_id}"):
            raise TooManyRequests("Too many rebuilds; try again in a minute.", headers={"Retry-After": "60"})
        guess: Viewer | None = viewer
    else:
        guess = None if claims.user_id is None else viewers.latest(claims.portal_id, claims.user_id)
    # A hit costs one statement: the viewer last resolved for this user is tried first, and the
    # statement that checks the deal is readable for it also confirms its permissions version
    # (STALE otherwise: resolved again from the database, as every other route resolves it).
    for attempt in range(3):
        viewer = guess or await current_viewer(claims, session, request)
        # the last attempt, with a viewer resolved just now, is keyed by the version it was resolved
        # from, as a viewer of any other route is (permissions changing under every read)
        body = await service.insight_json(session, deal_id, viewer, refresh=refresh, confirm=attempt < 2)
        if body is not STALE:
            break
        guess = None
    assert body is not STALE  # the last attempt does not confirm
    if body is None:
        raise NotFound()
    # the JSON of an Insight (response_model documents it): a hit is the cache's text, byte for byte
    return Response(body, media_type="application/json")


@router.get(
    "/deals/{deal_id}/insights/copy",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},  # format=markdown
)
async def copy_insight(
    deal_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    service: ServiceDep,
    format: Literal["text", "markdown"] = Query("text"),
) -> PlainTextResponse:
    insight = await service.insight_for(session, deal_id, viewer)
    if insight is None:
        raise NotFound()
    media = "text/markdown" if format == "markdown" else "text/plain"
    return PlainTextResponse(render(insight, format), media_type=f"{media}; charset=utf-8")


@router.post("/insights/{insight_id}/feedback", status_code=201, response_model=FeedbackOut)
async def insight_feedback(
    insight_id: str, body: FeedbackIn, viewer: ViewerDep, session: SessionDep
) -> FeedbackOut:
    stored = await give_feedback(session, viewer.portal_id, viewer.user_id, insight_id, body)
    if stored is None:
        raise NotFound()
    return stored


@router.get("/deals/{deal_id}/activities/{activity_id}", response_model=ActivityItem)
async def deal_activity(
    deal_id: str, activity_id: str, viewer: ViewerDep, session: SessionDep
) -> ActivityItem:
    """One activity of the deal's timeline, as the viewer may see it (click-through from the widget)."""
    ctx = await deal_context(session, deal_id, viewer)
    found = (
        None
        if ctx is None
        else next(
            (a for a in ctx.activities + ctx.upcoming_meetings + ctx.open_tasks if a.id == activity_id), None
        )
    )
    if found is None:
        raise NotFound()
    return found
