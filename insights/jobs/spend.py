"""The spend cap on background rebuilds: model calls per account and UTC hour, reserved atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm.sql import upsert
from insights.jobs.models import JobSpend


def hour_of(now: datetime) -> str:
    return f"{now:%Y-%m-%dT%H}"


async def reserve(session: AsyncSession, portal_id: str, calls: int, cap: int, now: datetime) -> bool:
    """Reserve ``calls`` model calls of this hour's budget; False (nothing reserved) past ``cap``.
    One conditional UPDATE, so racing workers can never spend more than the cap between them."""
    hour = hour_of(now)
    table: Table = JobSpend.__table__  # type: ignore[assignment]  # a declarative class's is a Table
    row = {"portal_id": portal_id, "hour": hour, "model_calls": 0}
    dialect = session.get_bind().dialect.name
    await session.execute(upsert(dialect, table, [row], update_cols=False), [row])
    result = await session.execute(
        update(JobSpend)
        .where(
            JobSpend.portal_id == portal_id,
            JobSpend.hour == hour,
            JobSpend.model_calls + calls <= cap,
        )
        .values(model_calls=JobSpend.model_calls + calls)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
