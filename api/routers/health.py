"""Customer health: summary, records, alerts and feedback for the viewer; profiles for super admins.

Reads recompute first when the day's snapshot is missing (``ensure_fresh``), so scores exist
without a job engine. ``?user_id=`` lets a super admin look at another user's view, read-only:
everything is then filtered by that user's visibility.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import ViewerDep
from api.deps import SessionDep
from api.errors import Forbidden, NotFound
from insights.crm.models import Account
from insights.health.models import HealthProfile
from insights.health.profiles import (
    ProfileError,
    ProfileIn,
    ProfileOut,
    ProfilePatch,
    create_profile,
    profiles_of,
    to_out,
    update_profile,
)
from insights.health.recompute import RecomputeResult, ensure_fresh, recompute
from insights.health.service import (
    AlertFeedbackIn,
    AlertFeedbackOut,
    AlertOut,
    Category,
    RecordDetail,
    RecordPage,
    Summary,
    alerts,
    give_alert_feedback,
    record_detail,
    records,
    summary,
)
from insights.permissions.viewer import Viewer, load_viewer

router = APIRouter(prefix="/v1/health", tags=["health"])


def clock(request: Request) -> datetime:
    """The service's clock (tests pin it to the demo's day, as for insights)."""
    now: datetime = request.app.state.insights.clock()
    return now


NowDep = Annotated[datetime, Depends(clock)]


async def _as(session: SessionDep, viewer: Viewer, user_id: str | None) -> Viewer:
    """The viewer, or for a super admin the user named by ``user_id`` (read-only)."""
    if user_id is None or user_id == viewer.user_id:
        return viewer
    if not viewer.super_admin:
        raise Forbidden("Only super admins may view another user's health summary.")
    other = await load_viewer(session, viewer.portal_id, user_id)
    if other is None:
        raise NotFound()
    return other


async def _profile(session: SessionDep, viewer: Viewer, profile_id: str | None) -> HealthProfile:
    """The named profile, or the account's first active one; a missing one is a 404."""
    if profile_id is not None:
        row = await session.get(HealthProfile, (viewer.portal_id, profile_id))
    else:
        active = await profiles_of(session, viewer.portal_id, active_only=True)
        row = active[0] if active else None
    if row is None:
        raise NotFound("No such health profile.")
    return row


def _super_admin(viewer: Viewer) -> None:
    if not viewer.super_admin:
        raise Forbidden("Only super admins manage health profiles.")


def _invalid(exc: ProfileError) -> RequestValidationError:
    # the same 422 problem as any other bad body: the field named, the value never echoed
    return RequestValidationError([{"loc": ("body", *exc.field.split(".")), "msg": exc.message}])


@router.get("/summary", response_model=Summary)
async def health_summary(
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    profile: str | None = None,
    days: int = Query(30, ge=1, le=366),
    user_id: str | None = None,
) -> Summary:
    """Average, count and % per category over the records the viewer may see, and per day."""
    target = await _as(session, viewer, user_id)
    await ensure_fresh(session, viewer.portal_id, now)
    return await summary(session, target, await _profile(session, viewer, profile), days, now)


@router.get("/records", response_model=RecordPage)
async def health_records(
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    profile: str | None = None,
    category: Category | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    user_id: str | None = None,
) -> RecordPage:
    target = await _as(session, viewer, user_id)
    await ensure_fresh(session, viewer.portal_id, now)
    return await records(session, target, await _profile(session, viewer, profile), category, limit, offset)


@router.get("/records/{record_id}", response_model=RecordDetail)
async def health_record(
    record_id: str,
    viewer: ViewerDep,
    session: SessionDep,
    now: NowDep,
    profile: str | None = None,
    user_id: str | None = None,
) -> RecordDetail:
    """Score, category, points per criterion and history; a hidden company is a 404 like a missing one."""
    target = await _as(session, viewer, user_id)
    await ensure_fresh(session, viewer.portal_id, now)
    found = await record_detail(session, target, await _profile(session, viewer, profile), record_id)
    if found is None:
        raise NotFound()
    return found


@router.get("/alerts", response_model=dict[str, list[AlertOut]])
async def health_alerts(
    viewer: ViewerDep, session: SessionDep, now: NowDep, user_id: str | None = None
) -> dict[str, list[AlertOut]]:
    target = await _as(session, viewer, user_id)
    await ensure_fresh(session, viewer.portal_id, now)
    return {"items": await alerts(session, target, now)}


@router.post("/alerts/{alert_id}/feedback", status_code=201, response_model=AlertFeedbackOut)
async def health_alert_feedback(
    alert_id: str, body: AlertFeedbackIn, viewer: ViewerDep, session: SessionDep, now: NowDep
) -> AlertFeedbackOut:
    stored = await give_alert_feedback(session, viewer, alert_id, body, now)
    if stored is None:
        raise NotFound()
    return stored


@router.get("/profiles", response_model=dict[str, list[ProfileOut]])
async def list_profiles(viewer: ViewerDep, session: SessionDep) -> dict[str, list[ProfileOut]]:
    _super_admin(viewer)
    return {"items": [to_out(p) for p in await profiles_of(session, viewer.portal_id)]}


async def _settings_moved(session: AsyncSession, portal_id: str) -> None:
    """A profile's name, activity or thresholds reach every deal's ``company_at_risk`` risk even
    where no score moved (recompute bumps only those): key every cached insight of the account anew."""
    await session.execute(
        update(Account).where(Account.id == portal_id).values(settings_version=Account.settings_version + 1)
    )


@router.post("/profiles", status_code=201, response_model=ProfileOut)
async def post_profile(body: ProfileIn, viewer: ViewerDep, session: SessionDep, now: NowDep) -> ProfileOut:
    _super_admin(viewer)
    try:
        row = await create_profile(session, viewer.portal_id, body, now)
    except ProfileError as exc:
        raise _invalid(exc) from None
    await recompute(session, viewer.portal_id, now)  # new criteria: new scores
    await _settings_moved(session, viewer.portal_id)
    return to_out(row)


@router.patch("/profiles/{profile_id}", response_model=ProfileOut)
async def patch_profile(
    profile_id: str, body: ProfilePatch, viewer: ViewerDep, session: SessionDep, now: NowDep
) -> ProfileOut:
    _super_admin(viewer)
    row = await session.scalar(
        select(HealthProfile).where(
            HealthProfile.portal_id == viewer.portal_id, HealthProfile.id == profile_id
        )
    )
    if row is None:
        raise NotFound("No such health profile.")
    try:
        await update_profile(session, row, body, now)
    except ProfileError as exc:
        raise _invalid(exc) from None
    await recompute(session, viewer.portal_id, now)  # new criteria: new scores
    await _settings_moved(session, viewer.portal_id)
    return to_out(row)


@router.post("/recompute", response_model=RecomputeResult)
async def post_recompute(viewer: ViewerDep, session: SessionDep, now: NowDep) -> RecomputeResult:
    """Recompute every active profile now (super admins; idempotent)."""
    _super_admin(viewer)
    return await recompute(session, viewer.portal_id, now)
