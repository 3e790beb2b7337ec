"""One insight: switches → cache → retrieve → rules → model → citations → store → response.

The hot path reads the account's and the deal's version counters (one statement, columns only)
and answers with the cache's stored JSON when nothing the key covers has changed. Everything after
that starts from the viewer's DealContext, which holds only what they may see, so nothing
downstream (prompt, cache, stored insight, logs) can hold anything else. A model failure never
reaches the caller: the insight degrades to data only and says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.core import metrics
from insights.core.config import CallMode, Settings
from insights.core.deployment import deployment_id
from insights.crm.models import Account, Deal
from insights.insight.ask import basis_of, name_sources, recent_items, with_model
from insights.insight.cache import InsightCache, MemoryCache
from insights.insight.context import DealContext
from insights.insight.freshness import Rebuilds, parts_of, previous_if_grown, record_parts
from insights.insight.llm import LLM
from insights.insight.prompts import load_prompts
from insights.insight.retrieval import deal_context
from insights.insight.risks import RiskThresholds, rule_risks
from insights.insight.schemas import (
    Insight,
    ModelInfo,
    RecentActivity,
)
from insights.insight.store import StoredInsight, find_by_input, record_view, to_response
from insights.insight.tokens import ModelTokens
from insights.permissions.readable import deal_readable
from insights.permissions.viewer import Viewer

log = logging.getLogger("insights.insight.service")


class Stale(Enum):
    """The guessed viewer's permissions version is not the account's: resolve it again."""

    VIEWER = "stale viewer"


STALE = Stale.VIEWER


def checked_versions(
    row: Sequence[Any] | None, viewer: Viewer, *, confirm: bool
) -> tuple[int, int, str | None] | Stale | None:
    """The row of ``_versions_statement`` checked, for the session path and the hit path alike:
    (settings version, timeline version, deal name), None when there is no such account or the
    viewer may not read the deal, ``STALE`` (with ``confirm``) when the account's permissions
    version is no longer the viewer's (the predicate was the old viewer's: nothing it read is used)."""
    if row is None:
        return None
    permissions_version, settings_version, timeline_version, deal_name = row
    if confirm and permissions_version != viewer.permissions_version:
        return STALE
    if timeline_version is None:
        return None
    return settings_version, timeline_version, deal_name


class InsightService:
    """Builds and serves insights. One per process; holds the model door and the cache."""

    def __init__(self, settings: Settings, cache: InsightCache | None = None, llm: LLM | None = None) -> None:
        self.settings = settings
        self.cache = cache or MemoryCache()
        self.llm = llm or (LLM(settings) if settings.model else None)
        self.tokens = ModelTokens.for_settings(settings) if settings.model else None
        self.prompts = load_prompts()
        self._deployment: str | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests pin it to the demo's day
        self.mode: CallMode = settings.model_call_mode  # validated by Settings: a bad value fails at start
        self.rebuilds: Rebuilds | None = None  # the job queue, when background rebuilds run
        self._statements: dict[int, tuple[Viewer, Select[int, int, int | None, str | None]]] = {}

    @property
    def known_deployment(self) -> str | None:
        """The deployment id once read (None before this process's first read through a session)."""
        return self._deployment

    async def deployment(self, session: AsyncSession) -> str:
        """This database's deployment id (read once per process): the namespace of every cache
        key, so deployments sharing one Redis never see each other's entries."""
        if self._deployment is None:
            self._deployment = await deployment_id(session)
        return self._deployment

    def cache_key(
        self,
        viewer: Viewer,
        timeline_version: int,
        settings_version: int,
        deal_id: str,
        day: str,
        deployment: str,
    ) -> str:
        return "|".join(
            [
                deployment,
                viewer.portal_id,
                deal_id,
                viewer.user_id,
                f"t{timeline_version}",
                # the version this viewer was resolved from, not the account's current one: a viewer
                # resolved just before a permission change never files an entry under the new version
                f"p{viewer.permissions_version}",
                f"s{settings_version}",
                self.prompts.version,
                self.llm.model if self.llm else "-",
                self.mode,
                day,
            ]
        )

    async def _keyed(
        self, session: AsyncSession, deal_id: str, viewer: Viewer, now: datetime, *, confirm: bool = False
    ) -> tuple[str, int, int, str, str, str | None] | Stale | None:
        """The cache key with the versions and day it holds, or None when the viewer may not see the
        deal. The version counters alone (one round trip on a hit), read through the viewer's readable
        predicate: a deal they may not see has no timeline version here, before any cache or
        retrieval is consulted. ``confirm``: ``STALE`` when the account's permissions version is no
        longer the viewer's (the predicate was the old viewer's: nothing it read is used)."""
        row = (await session.execute(self._versions_statement(viewer), {"deal_id": deal_id})).first()
        checked = checked_versions(row, viewer, confirm=confirm)
        if checked is None or checked is STALE:
            return checked
        settings_version, timeline_version, deal_name = checked
        day, deployment = now.date().isoformat(), await self.deployment(session)
        key = self.cache_key(viewer, timeline_version, settings_version, deal_id, day, deployment)
        return key, settings_version, timeline_version, day, deployment, deal_name

    async def is_cached(
        self, session: AsyncSession, deal_id: str, viewer: Viewer, now: datetime
    ) -> bool | None:
        """Whether the viewer's insight at ``now`` is in the cache (None: they may not see the deal)."""
        keyed = await self._keyed(session, deal_id, viewer, now)
        if keyed is None or keyed is STALE:
            return None
        return await self.cache.get(keyed[0]) is not None

    async def insight_for(
        self,
        session: AsyncSession,
        deal_id: str,
        viewer: Viewer,
        *,
        refresh: bool = False,
        now: datetime | None = None,
        background: bool = False,
    ) -> Insight | None:
        """The viewer's insight on the deal, or None when they may not see it (→ 404). While a
        background rebuild of it is pending, a miss answers at once: stale or building (freshness).
        ``background`` is the rebuild itself."""
        answer = await self._answer(
            session, deal_id, viewer, refresh=refresh, now=now, confirm=False, background=background
        )
        assert answer is not STALE  # only asked for with confirm=True
        return Insight.model_validate_json(answer) if isinstance(answer, str) else answer

    async def insight_json(
        self,
        session: AsyncSession,
        deal_id: str,
        viewer: Viewer,
        *,
        refresh: bool = False,
        now: datetime | None = None,
        confirm: bool = False,
    ) -> str | Stale | None:
        """``insight_for`` as the JSON served: a cache hit is answered with the stored text as is.

        ``confirm=True`` takes ``viewer`` as a guess (``ViewerCache.latest``): the one statement
        that checks the deal is readable also reads the account's permissions version, and when that
        is not the viewer's, the answer is ``STALE`` (resolve the viewer again and ask again)."""
        answer = await self._answer(session, deal_id, viewer, refresh=refresh, now=now, confirm=confirm)
        return answer.model_dump_json() if isinstance(answer, Insight) else answer

    async def _answer(
        self,
        session: AsyncSession,
        deal_id: str,
        viewer: Viewer,
        *,
        refresh: bool,
        now: datetime | None,
        confirm: bool,
        background: bool = False,
    ) -> Insight | str | Stale | None:
        """The cached JSON on a hit, else the built insight; None when the viewer may not see the deal."""
        now = now or self.clock()
        keyed = await self._keyed(session, deal_id, viewer, now, confirm=confirm)
        if keyed is None or keyed is STALE:
            return keyed
        key, settings_version, timeline_version, day, deployment, deal_name = keyed
        if not refresh and (hit := await self.cache.get(key)) is not None:
            metrics.CACHE.labels("hit").inc()
            return hit  # stored as served on a hit (cached=true): no parse, no re-serialisation
        metrics.CACHE.labels("miss").inc()

        account = await session.get(Account, viewer.portal_id, populate_existing=True)
        if account is None:
            return None
        rebuilds = None if refresh or background else self.rebuilds
        # Customer Analysis off answers "disabled" (built below), never data, even mid-rebuild
        if (
            rebuilds is not None
            and account.customer_analysis_enabled
            and await rebuilds.pending(viewer.portal_id, deal_id, viewer.user_id)
        ):
            return await self._interim(session, deal_id, viewer, account, now)
        if account.settings_version != settings_version:  # moved between the two reads: key the new one
            key = self.cache_key(viewer, timeline_version, account.settings_version, deal_id, day, deployment)
        insight = await self._build(session, deal_id, viewer, account, now, refresh, deal_name)
        if insight is not None:
            metrics.INSIGHTS.labels(insight.status, insight.reason or "").inc()
            if insight.reason != "model_unavailable":  # a failure is retried on the next request
                await self.cache.set(key, insight.model_copy(update={"cached": True}).model_dump_json())
        return insight

    def _versions_statement(self, viewer: Viewer) -> Select[int, int, int | None, str | None]:
        """The hit's one statement: the account's permissions and settings versions, and the deal's
        timeline version when the viewer may read the deal (the readable predicate is in the join,
        so an unreadable deal still returns the account's versions). Built once per resolved viewer
        (the ViewerCache hands out one object per user and permissions version): building the
        predicate cost more than running it. The deal id is a bound parameter."""
        if (memo := self._statements.get(id(viewer))) is not None and memo[0] is viewer:
            return memo[1]
        deal_on = and_(Deal.portal_id == Account.id, Deal.id == bindparam("deal_id"), deal_readable(viewer))
        stmt = (
            select(Account.permissions_version, Account.settings_version, Deal.timeline_version, Deal.name)
            .select_from(Account)
            .outerjoin(Deal, deal_on)
            .where(Account.id == viewer.portal_id)
        )
        if len(self._statements) >= 10_000:
            self._statements.clear()
        self._statements[id(viewer)] = (viewer, stmt)  # holding the viewer keeps its id from being reused
        return stmt

    async def _build(
        self,
        session: AsyncSession,
        deal_id: str,
        viewer: Viewer,
        account: Account,
        now: datetime,
        refresh: bool,
        deal_name: str | None = None,
    ) -> Insight | None:
        base = Insight(
            insight_id="", deal_id=deal_id, deal_name=deal_name, status="data_only", generated_at=now
        )
        if not account.customer_analysis_enabled:  # the deal was read as readable by insight_for
            return await self._store(
                session,
                viewer,
                base.model_copy(update={"status": "disabled", "reason": "customer_analysis_off"}),
                "disabled",
                now,
            )

        ctx = await deal_context(session, deal_id, viewer, now=now)
        if ctx is None:
            return None
        insight = self._data_only(base, ctx, account)
        if account.hipaa_sensitive_data:  # data only, and not one byte to any model
            insight.reason = "hipaa"
        elif not ctx.activities:
            insight.reason = "no_activity"
        elif self.llm is None:
            insight.reason = "no_model_configured"
        input_hash = hashlib.sha256(
            json.dumps(
                [
                    ctx.fingerprint,
                    self.prompts.version,
                    self.llm.model if self.llm else None,
                    self.mode,
                    account.insight_language,
                    account.risk_thresholds,
                    account.settings_version,
                    now.date().isoformat(),
                ],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        if not refresh:  # another viewer who sees exactly the same data may have built it already
            existing = await find_by_input(session, viewer.portal_id, deal_id, input_hash)
            if existing is not None and existing.reason != "model_unavailable":
                await record_view(session, viewer.portal_id, existing.id, viewer.user_id, now)
                return to_response(existing, cached=False)
        if insight.reason is None:
            assert self.llm is not None and self.tokens is not None
            language = account.insight_language or "en"
            insight = await with_model(
                self.llm, self.tokens, self.settings, self.prompts, self.mode, ctx, insight, language
            )
        insight = name_sources(insight, ctx)
        stored = await self._store(session, viewer, insight, input_hash, now, ctx.fingerprint)
        record_parts(session, viewer.portal_id, stored.insight_id, account.settings_version, parts_of(ctx))
        return stored

    def _data_only(self, base: Insight, ctx: DealContext, account: Account) -> Insight:
        thresholds = RiskThresholds.from_account(account.risk_thresholds)
        return base.model_copy(
            update={
                "deal_name": ctx.deal.name,
                "companies": [c.name for c in ctx.companies if c.name],
                "recent_activity": RecentActivity(items=recent_items(ctx)),
                "risks": rule_risks(ctx, thresholds),
                "basis": basis_of(ctx),
                "model": ModelInfo(prompt_version=self.prompts.version),
            }
        )

    async def _interim(
        self, session: AsyncSession, deal_id: str, viewer: Viewer, account: Account, now: datetime
    ) -> Insight | None:
        """While a rebuild runs: the previous insight, ``stale``, only if all it was built from is
        still visible to this viewer unchanged (freshness.py); else data only, ``building``.
        Neither is cached nor stored: the rebuild's answer is."""
        ctx = await deal_context(session, deal_id, viewer, now=now)
        if ctx is None:
            return None
        if account.customer_analysis_enabled and not account.hipaa_sensitive_data:
            prev = await previous_if_grown(
                session, viewer.portal_id, deal_id, viewer.user_id, parts_of(ctx), account.settings_version
            )
            if prev is not None:
                # its sentences were all built from parts still visible; its counts are of the
                # current view (an older activity hidden since must not be counted)
                stale = to_response(prev, cached=False)
                return stale.model_copy(update={"freshness": "stale", "basis": basis_of(ctx)})
        base = Insight(insight_id="", deal_id=deal_id, status="data_only", generated_at=now)
        building = name_sources(self._data_only(base, ctx, account), ctx)
        return building.model_copy(update={"freshness": "building"})

    async def _store(
        self,
        session: AsyncSession,
        viewer: Viewer,
        insight: Insight,
        input_hash: str,
        now: datetime,
        fingerprint: str = "",
    ) -> Insight:
        insight = insight.model_copy(update={"insight_id": uuid.uuid4().hex})
        session.add(
            StoredInsight(
                portal_id=viewer.portal_id,
                id=insight.insight_id,
                deal_id=insight.deal_id,
                input_hash=input_hash,
                fingerprint=fingerprint,
                status=insight.status,
                reason=insight.reason,
                model=insight.model.name,
                prompt_version=insight.model.prompt_version,
                input_tokens=insight.model.input_tokens,
                output_tokens=insight.model.output_tokens,
                cost_usd=insight.model.cost_usd,
                body=json.loads(insight.model_dump_json(exclude={"cached", "freshness"})),
                created_at=now,
            )
        )
        await session.flush()
        await record_view(session, viewer.portal_id, insight.insight_id, viewer.user_id, now)
        return insight
