"""The async bodies of the jobs. Each takes ids (and times) only, opens its own session, commits.

Guided actions: every active user's rules at a time (``evaluate_user``). Insights: after a change,
the (deal, viewer) pairs viewed recently whose cache entry is gone (``stale_pairs``) are rebuilt as
that viewer (``rebuild``), within the account's hourly model-call budget.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm.models import Account, User
from insights.guided_actions.runner import evaluate
from insights.insight.store import InsightView, StoredInsight
from insights.jobs import spend
from insights.jobs.models import ParkedJob
from insights.jobs.runtime import State
from insights.permissions.viewer import Viewer, load_viewer

log = logging.getLogger("insights.jobs")
Pair = tuple[str, str]  # (deal id, user id)


class ModelFailed(Exception):
    """The model failed for a background rebuild: the engine retries it with backoff."""


class RaceLost(Exception):
    """Another evaluation of the user committed the same action first: the engine retries."""


def day_start(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def active_users(st: State) -> list[tuple[str, str]]:
    async with st.sessions() as s:
        rows = await s.execute(select(User.portal_id, User.id).where(User.archived.is_(False)))
        return [(p, u) for p, u in rows]


async def accounts(st: State) -> list[str]:
    async with st.sessions() as s:
        return list(await s.scalars(select(Account.id)))


async def evaluate_user(st: State, portal_id: str, user_id: str, at: datetime) -> str:
    """All rules for one user at ``at``. Racing duplicates cannot be stored: the unique
    (user, rule, record, trigger) key refuses them, and the engine retries the loser."""
    async with st.sessions() as s:
        try:
            result = await evaluate(s, portal_id, user_id, at)
        except LookupError:
            return "no such user"
        try:
            await s.commit()
        except IntegrityError:
            await s.rollback()
            # not the driver's error: its message holds the row's values (why sentences name records)
            raise RaceLost(f"user {user_id}: another evaluation stored the same action first") from None
        return f"created {len(result.created)}, expired {len(result.expired)}"


async def stale_pairs(st: State, portal_id: str, at: datetime) -> list[Pair]:
    """The (deal, viewer) pairs shown an insight in the last ``rebuild_viewed_days`` whose insight
    at ``at`` is not in the cache (a version counter or the day moved)."""
    since = st.clock() - timedelta(days=st.settings.rebuild_viewed_days)
    async with st.sessions() as s:
        rows = await s.execute(
            select(StoredInsight.deal_id, InsightView.user_id)
            .join(
                InsightView,
                (InsightView.portal_id == StoredInsight.portal_id)
                & (InsightView.insight_id == StoredInsight.id),
            )
            .where(StoredInsight.portal_id == portal_id, InsightView.first_shown_at >= since)
            .distinct()
        )
        pairs = sorted((d, u) for d, u in rows)
        viewers: dict[str, Viewer | None] = {}
        out: list[Pair] = []
        for deal_id, user_id in pairs:
            if user_id not in viewers:
                viewers[user_id] = await load_viewer(s, portal_id, user_id)
            viewer = viewers[user_id]
            if viewer is not None and await st.service.is_cached(s, deal_id, viewer, at) is False:
                out.append((deal_id, user_id))
        return out


async def rebuild(st: State, portal_id: str, deal_id: str, user_id: str, at: datetime) -> str:
    """Build the viewer's insight at ``at`` into the cache, unless it is there already, the deal
    or user is gone, or the account's background budget for the hour is spent."""
    service = st.service
    async with st.sessions() as s:
        viewer = await load_viewer(s, portal_id, user_id)
        if viewer is None:
            return "gone"
        cached = await service.is_cached(s, deal_id, viewer, at)
        if cached is None:
            return "gone"
        if cached:
            return "hit"
        if service.llm is not None:
            calls = 1 if service.mode == "combined" else 3
            if not await spend.reserve(s, portal_id, calls, st.settings.rebuild_calls_per_hour, st.clock()):
                await s.commit()
                log.info("background rebuild skipped: account %s spent its hourly model calls", portal_id)
                return "over cap"
            await s.commit()  # spent whatever happens next
        seen = await _last_seen(s, portal_id, deal_id, user_id)
        insight = await service.insight_for(s, deal_id, viewer, now=at, background=True)
        if insight is not None and seen is not None:
            # a background build is not a view: keep the pair's last real view time, so "recently
            # viewed" does not renew itself through rebuilds
            await s.execute(
                update(InsightView)
                .where(
                    InsightView.portal_id == portal_id,
                    InsightView.insight_id == insight.insight_id,
                    InsightView.user_id == user_id,
                    InsightView.first_shown_at > seen,
                )
                .values(first_shown_at=seen)
            )
        await s.commit()
        if insight is not None and insight.reason == "model_unavailable":
            raise ModelFailed(f"deal {deal_id}")
        return "built"


async def _last_seen(s: AsyncSession, portal_id: str, deal_id: str, user_id: str) -> datetime | None:
    seen: datetime | None = await s.scalar(
        select(func.max(InsightView.first_shown_at))
        .join(
            StoredInsight,
            (InsightView.portal_id == StoredInsight.portal_id) & (InsightView.insight_id == StoredInsight.id),
        )
        .where(
            InsightView.portal_id == portal_id,
            InsightView.user_id == user_id,
            StoredInsight.deal_id == deal_id,
        )
    )
    return seen


async def park(st: State, task_id: str, name: str, args: str, error: str) -> None:
    async with st.sessions() as s:
        if await s.get(ParkedJob, task_id) is None:
            s.add(ParkedJob(id=task_id, name=name, args=args[:512], error=error[:128], parked_at=st.clock()))
        await s.commit()
