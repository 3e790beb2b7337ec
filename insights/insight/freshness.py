"""Freshness: may the viewer's previous insight be served, marked ``stale``, while a rebuild runs?

Only when everything it was built from is still in what the viewer may see now, unchanged: every
part of the old context (the deal with its history and stages, each contact, company and activity
as redacted for this viewer) is in the new one byte for byte, and the account's settings did not
move. An added activity passes; anything removed, hidden, reassigned away, re-redacted or changed
fails, and so does a narrowed permission that touches this deal (its parts leave the view). Since
a stored insight is built from its context alone (docs/read-paths.md), it then holds nothing the
viewer cannot see now. Otherwise the widget gets a data-only answer marked ``building``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.models import Id
from insights.insight.context import DealContext
from insights.insight.store import InsightView, StoredInsight

Freshness = Literal["fresh", "stale", "building"]


class InsightParts(Base):
    """What one stored insight was built from: a hash per part of its context (no text)."""

    __tablename__ = "insight_parts"

    portal_id: Mapped[str] = mapped_column(Id, primary_key=True)
    insight_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    settings_version: Mapped[int] = mapped_column(Integer)
    parts: Mapped[list[str]] = mapped_column(JSON)


class Rebuilds(Protocol):
    """The job queue as the insight service sees it (``insights.jobs`` provides it)."""

    async def pending(self, portal_id: str, deal_id: str, user_id: str) -> bool: ...


def _h(kind: str, model: BaseModel | Sequence[BaseModel]) -> str:
    body = (
        "[" + ",".join(m.model_dump_json() for m in model) + "]"
        if not isinstance(model, BaseModel)
        else model.model_dump_json()
    )
    return kind + ":" + hashlib.sha256(body.encode()).hexdigest()[:24]


def parts_of(ctx: DealContext) -> list[str]:
    """A hash of each part of the context the viewer sees (counts and the clock aside)."""
    parts = {_h("deal", ctx.deal), _h("history", ctx.history), _h("stages", ctx.pipeline_stages)}
    parts |= {_h("contact", c) for c in ctx.contacts} | {_h("company", c) for c in ctx.companies}
    for kind, items in (("activity", ctx.activities), ("upcoming", ctx.upcoming_meetings)):
        parts |= {_h(kind, a) for a in items}
    parts |= {_h("task", a) for a in ctx.open_tasks}
    return sorted(parts)


def record_parts(
    session: AsyncSession, portal_id: str, insight_id: str, settings_version: int, parts: list[str]
) -> None:
    session.add(
        InsightParts(
            portal_id=portal_id, insight_id=insight_id, settings_version=settings_version, parts=parts
        )
    )


async def previous_if_grown(
    session: AsyncSession,
    portal_id: str,
    deal_id: str,
    user_id: str,
    parts_now: list[str],
    settings_version: int,
    built_since: datetime | None = None,
) -> StoredInsight | None:
    """The newest insight shown to this user on this deal whose parts are all still visible and
    unchanged (``parts_now`` ⊇ its parts) under the same settings; None when there is none."""
    row = (
        await session.execute(
            select(StoredInsight, InsightParts)
            .join(
                InsightView,
                (InsightView.portal_id == StoredInsight.portal_id)
                & (InsightView.insight_id == StoredInsight.id),
            )
            .join(
                InsightParts,
                (InsightParts.portal_id == StoredInsight.portal_id)
                & (InsightParts.insight_id == StoredInsight.id),
            )
            .where(
                StoredInsight.portal_id == portal_id,
                StoredInsight.deal_id == deal_id,
                InsightView.user_id == user_id,
                StoredInsight.status == "ai",
            )
            .order_by(StoredInsight.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    stored, parts = row
    if parts.settings_version != settings_version or not set(parts.parts) <= set(parts_now):
        return None
    if built_since is not None and stored.created_at < built_since:
        return None
    return stored
