"""Recompute an account's health: scores, today's snapshot, alerts, and the insights they reach.

``recompute(session, account_id, now)`` is idempotent for a given ``now``: it rewrites today's
snapshot and the current scores, raises each alert once (one per record, day and kind) and moves
the timeline version of the deals of every company whose score or category changed, so no cached
insight keeps a stale ``company_at_risk`` risk. The job engine, the CLI and reads call it; it never
commits (the caller owns the transaction).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm.invalidate import bump_deals, deals_reached
from insights.crm.sql import BIND_LIMIT, chunks, upsert
from insights.health.measures import Clock
from insights.health.models import HealthAlert, HealthProfile, HealthScore, HealthSnapshot
from insights.health.profiles import profiles_of
from insights.health.scoring import Scored, score_all

ALERT_DAYS = 14  # an alert expires 14 days after it was raised (spec)


@dataclass
class RecomputeResult:
    profiles: int = 0
    scored: int = 0
    changed: int = 0
    alerts: int = 0
    deals_bumped: int = 0
    by_profile: dict[str, dict[str, int]] = field(default_factory=dict)


def _table(model: Any) -> Table:
    # DeclarativeBase types __table__ as FromClause; a declarative class's is always a Table
    t: Table = model.__table__
    return t


async def _upsert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    table = _table(model)
    per = max(1, BIND_LIMIT // len(rows[0]))
    for part in chunks(rows, per):
        await session.execute(upsert(dialect, table, list(part), update_cols=True), list(part))


async def recompute(session: AsyncSession, account_id: str, now: datetime) -> RecomputeResult:
    """Score every company of the account under each active profile, as of ``now``."""
    result = RecomputeResult()
    touched: set[str] = set()
    for profile in await profiles_of(session, account_id, active_only=True):
        changed, alerts, scored = await recompute_profile(session, profile, now)
        touched |= changed
        result.profiles += 1
        result.scored += scored
        result.alerts += alerts
        result.by_profile[profile.id] = {"scored": scored, "changed": len(changed), "alerts": alerts}
    result.changed = len(touched)
    if touched:
        deals = await deals_reached(session, account_id, {"company": touched})
        await bump_deals(session, account_id, deals)
        result.deals_bumped = len(deals)
    return result


async def recompute_profile(
    session: AsyncSession, profile: HealthProfile, now: datetime
) -> tuple[set[str], int, int]:
    """(companies whose score or category changed, alerts raised, companies scored)."""
    p, day = profile.portal_id, now.date().isoformat()
    clock = Clock(now, session.get_bind().dialect.name)
    scored = await score_all(session, profile, clock)
    hs, snap = HealthScore, HealthSnapshot
    current = {
        r.record_id: (r.score, r.category)
        for r in (
            await session.execute(
                select(hs.record_id, hs.score, hs.category).where(
                    hs.portal_id == p, hs.profile_id == profile.id
                )
            )
        ).all()
    }
    previous = await _previous_snapshot(session, profile, day)
    peaks = await _recent_peaks(session, profile, now)
    changed = {s.record_id for s in scored if current.get(s.record_id) != (s.score, s.category)}
    gone = set(current) - {s.record_id for s in scored}  # archived since: no score, no risk
    for ids in chunks(sorted(gone)):
        await session.execute(
            delete(hs).where(hs.portal_id == p, hs.profile_id == profile.id, hs.record_id.in_(ids))
        )
    await _upsert(
        session,
        hs,
        [
            {
                "portal_id": p,
                "profile_id": profile.id,
                "record_id": s.record_id,
                "score": s.score,
                "category": s.category,
                "points": s.points,
                "recent_peak": peaks.get(s.record_id),
                "computed_at": now,
            }
            for s in scored
        ],
    )
    await _upsert(
        session,
        snap,
        [
            {
                "portal_id": p,
                "profile_id": profile.id,
                "day": day,
                "record_id": s.record_id,
                "score": s.score,
                "category": s.category,
                "points": s.points,
            }
            for s in scored
        ],
    )
    alerts = await _raise_alerts(session, profile, scored, previous, now)
    profile.computed_day = day
    profile.computed_version = profile.version
    await session.flush()
    return changed | gone, alerts, len(scored)


async def _previous_snapshot(
    session: AsyncSession, profile: HealthProfile, day: str
) -> dict[str, tuple[float, str, dict[str, float]]]:
    """The profile's newest snapshot from a day before ``day`` (every record scored that day).

    Two index ranges, not a per-record "newest day" self-join (which PostgreSQL ran for tens of
    seconds on 5,000 records without statistics)."""
    snap = HealthSnapshot
    p = profile.portal_id
    previous = await session.scalar(
        select(func.max(snap.day)).where(snap.portal_id == p, snap.profile_id == profile.id, snap.day < day)
    )
    if previous is None:
        return {}
    rows = (
        await session.execute(
            select(snap.record_id, snap.score, snap.category, snap.points).where(
                snap.portal_id == p, snap.profile_id == profile.id, snap.day == previous
            )
        )
    ).all()
    return {r.record_id: (r.score, r.category, dict(r.points or {})) for r in rows}


async def _recent_peaks(session: AsyncSession, profile: HealthProfile, now: datetime) -> dict[str, float]:
    """Each record's highest snapshot score over the ``ALERT_DAYS`` days before ``now``'s day."""
    snap = HealthSnapshot
    day, since = now.date().isoformat(), (now - timedelta(days=ALERT_DAYS)).date().isoformat()
    rows = await session.execute(
        select(snap.record_id, func.max(snap.score))
        .where(
            snap.portal_id == profile.portal_id,
            snap.profile_id == profile.id,
            snap.day >= since,
            snap.day < day,
        )
        .group_by(snap.record_id)
    )
    return {r[0]: float(r[1]) for r in rows.all()}


def moved_criteria(before: dict[str, float], after: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"key": k, "from": before.get(k), "to": v} for k, v in sorted(after.items()) if before.get(k) != v
    ]


async def _raise_alerts(
    session: AsyncSession,
    profile: HealthProfile,
    scored: list[Scored],
    previous: dict[str, tuple[float, str, dict[str, float]]],
    now: datetime,
) -> int:
    """One alert per (record, day, kind) for the record's owner: category change, or a drop of
    more than the profile's points since the previous snapshot. Unowned records alert no one."""
    day = now.date().isoformat()
    rows: list[dict[str, Any]] = []
    for s in scored:
        if s.record_id not in previous or s.owner_id is None:
            continue
        before, category, points = previous[s.record_id]
        kinds = []
        if category != s.category:
            kinds.append("category_change")
        if profile.drop_alert_points is not None and before - s.score > profile.drop_alert_points:
            kinds.append("score_drop")
        for kind in kinds:
            rows.append(
                {
                    "portal_id": profile.portal_id,
                    "id": uuid.uuid4().hex,
                    "profile_id": profile.id,
                    "record_id": s.record_id,
                    "user_id": s.owner_id,
                    "kind": kind,
                    "day": day,
                    "from_category": category,
                    "to_category": s.category,
                    "from_score": before,
                    "to_score": s.score,
                    "criteria": moved_criteria(points, s.points),
                    "created_at": now,
                    "expires_at": now + timedelta(days=ALERT_DAYS),
                }
            )
    if not rows:
        return 0
    existing = set(
        (
            await session.execute(
                select(HealthAlert.record_id, HealthAlert.kind).where(
                    HealthAlert.portal_id == profile.portal_id,
                    HealthAlert.profile_id == profile.id,
                    HealthAlert.day == day,
                )
            )
        ).all()
    )
    new = [r for r in rows if (r["record_id"], r["kind"]) not in existing]
    if new:
        # Two first reads of a new day may recompute at once: the loser's alerts are the winner's
        # (same record, day and kind), skipped by the unique index instead of failing the request.
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        event = ["portal_id", "profile_id", "record_id", "day", "kind"]
        for part in chunks(new, max(1, BIND_LIMIT // len(new[0]))):
            stmt = insert(_table(HealthAlert)).on_conflict_do_nothing(index_elements=event)
            await session.execute(stmt, part)
    return len(new)


async def ensure_fresh(session: AsyncSession, account_id: str, now: datetime) -> bool:
    """Recompute when an active profile has no snapshot for ``now``'s day (or changed since its
    last run); True when it did. Reads call this so a day never goes unscored without a job engine."""
    day = now.date().isoformat()
    stale = any(
        p.computed_day != day or p.computed_version != p.version
        for p in await profiles_of(session, account_id, active_only=True)
    )
    if stale:
        await recompute(session, account_id, now)
    return stale
