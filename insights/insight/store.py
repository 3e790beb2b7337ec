"""Stored insights: exactly what was shown, to whom, for feedback, copy and de-duplication.

An insight is stored once per distinct input (deal, what was visible, prompt, model, settings,
day). Viewers who see the same data share it; each viewer it was shown to gets a row, and only
they may give feedback on it or fetch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, and_, delete, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm import models as crm
from insights.crm.models import Id, UTCDateTime
from insights.crm.sql import chunks
from insights.insight.schemas import Insight


class StoredInsight(Base):
    __tablename__ = "insights"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deal_id: Mapped[str] = mapped_column(Id)
    input_hash: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    model: Mapped[str | None] = mapped_column(String(255), nullable=True)
    prompt_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the response as shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_insights_input", "portal_id", "deal_id", "input_hash"),)


class InsightView(Base):
    """One row per insight and user it was shown to."""

    __tablename__ = "insight_views"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    insight_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(Id, primary_key=True)
    first_shown_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InsightFeedback(Base):
    __tablename__ = "insight_feedback"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    insight_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(Id)
    rating: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_insight_feedback_insight", "portal_id", "insight_id"),)


async def find_by_input(
    session: AsyncSession, portal_id: str, deal_id: str, input_hash: str
) -> StoredInsight | None:
    return (
        await session.execute(
            select(StoredInsight)
            .where(
                StoredInsight.portal_id == portal_id,
                StoredInsight.deal_id == deal_id,
                StoredInsight.input_hash == input_hash,
            )
            .order_by(StoredInsight.created_at.desc())
            .limit(1)
        )
    ).scalar()


async def record_view(
    session: AsyncSession, portal_id: str, insight_id: str, user_id: str, now: datetime
) -> None:
    if await session.get(InsightView, (portal_id, insight_id, user_id)) is None:
        session.add(
            InsightView(portal_id=portal_id, insight_id=insight_id, user_id=user_id, first_shown_at=now)
        )
        await session.flush()


async def shown_insight(
    session: AsyncSession, portal_id: str, insight_id: str, user_id: str
) -> StoredInsight | None:
    """The stored insight, only if it was shown to this user (else None → 404)."""
    return (
        await session.execute(
            select(StoredInsight)
            .join(
                InsightView,
                (InsightView.portal_id == StoredInsight.portal_id)
                & (InsightView.insight_id == StoredInsight.id),
            )
            .where(
                StoredInsight.portal_id == portal_id,
                StoredInsight.id == insight_id,
                InsightView.user_id == user_id,
            )
        )
    ).scalar()


def to_response(row: StoredInsight, *, cached: bool) -> Insight:
    return Insight.model_validate({**row.body, "cached": cached})


def cited_activities(body: Mapping[str, Any]) -> set[str]:
    """The activities a stored insight cites: its recent items, risks and buyer goals."""
    ids: set[Any] = {i.get("activity_id") for i in (body.get("recent_activity") or {}).get("items") or []}
    for section in ("risks", "buyer_goals"):
        for entry in body.get(section) or []:
            ids.update(entry.get("activity_ids") or [])
    return {i for i in ids if isinstance(i, str)}


async def purge_insights(session: AsyncSession, portal_id: str, deal_ids: Iterable[str]) -> int:
    """Delete the stored insights of these deals whose sources are gone, with their view rows, so
    they are never reused or fetched again: every insight of a deal that is archived (or gone), and
    each one citing an activity no longer on its deal's timeline (archived, deleted, or reached only
    through a contact or company now archived). Feedback rows stay, with their rating and comment;
    the body they were about goes (the export marks them ``insight_purged``). Returns how many went."""
    purge: list[str] = []
    for deals in chunks(sorted(set(deal_ids)), 200):
        stored = (
            await session.execute(
                select(StoredInsight.id, StoredInsight.deal_id, StoredInsight.body).where(
                    StoredInsight.portal_id == portal_id, StoredInsight.deal_id.in_(deals)
                )
            )
        ).all()
        if not stored:
            continue
        d = crm.Deal
        live = set(
            await session.scalars(
                select(d.id).where(d.portal_id == portal_id, d.id.in_(deals), d.archived.is_(False))
            )
        )
        cited = {r.id: cited_activities(r.body or {}) for r in stored}
        on_timeline: set[tuple[str, str]] = set()
        for acts in chunks(sorted(set().union(*cited.values()))):
            rows = await session.execute(_timeline_pairs(portal_id, list(deals), list(acts)))
            on_timeline.update((r.deal_id, r.activity_id) for r in rows)
        purge += [
            r.id
            for r in stored
            if r.deal_id not in live or any((r.deal_id, a) not in on_timeline for a in cited[r.id])
        ]
    for ids in chunks(purge):
        await session.execute(
            delete(InsightView).where(InsightView.portal_id == portal_id, InsightView.insight_id.in_(ids))
        )
        await session.execute(
            delete(StoredInsight).where(StoredInsight.portal_id == portal_id, StoredInsight.id.in_(ids))
        )
    return len(purge)


def _timeline_pairs(portal_id: str, deal_ids: list[str], activity_ids: list[str]) -> Any:
    """(deal_id, activity_id) among these where the activity is live and linked to the deal itself
    or to one of its contacts or companies that is not archived: the deal's timeline for anyone."""
    a, link = crm.Activity, crm.ActivityLink
    live = and_(a.portal_id == link.portal_id, a.id == link.activity_id, a.archived.is_(False))
    mine = and_(link.portal_id == portal_id, link.activity_id.in_(activity_ids))
    direct = (
        select(link.object_id.label("deal_id"), link.activity_id)
        .join(a, live)
        .where(mine, link.object_type == "deal", link.object_id.in_(deal_ids))
    )
    via = [
        select(assoc.deal_id, link.activity_id)
        .join(rec, and_(rec.portal_id == assoc.portal_id, rec.id == col, rec.archived.is_(False)))
        .join(link, and_(link.portal_id == assoc.portal_id, link.object_type == kind, link.object_id == col))
        .join(a, live)
        .where(mine, assoc.portal_id == portal_id, assoc.deal_id.in_(deal_ids))
        for assoc, kind, rec, col in (
            (crm.DealContact, "contact", crm.Contact, crm.DealContact.contact_id),
            (crm.DealCompany, "company", crm.Company, crm.DealCompany.company_id),
        )
    ]
    return union_all(direct, *via)
