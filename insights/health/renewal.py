"""The renewal date a profile names: how many companies hold it, and how many hold a non-date."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.health.sqlparts import day_number, renewal_text


async def renewal_stats(session: AsyncSession, portal_id: str, prop: str) -> tuple[int, int]:
    """(companies holding a non-empty value, of which not a date) for ``prop``."""
    dialect = session.get_bind().dialect.name
    value = renewal_text(prop)
    present = and_(value.is_not(None), value != "")
    bad = and_(present, day_number(value, dialect).is_(None))
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((present, 1), else_=0)), 0),
                func.coalesce(func.sum(case((bad, 1), else_=0)), 0),
            ).where(m.Company.portal_id == portal_id, m.Company.archived.is_(False))
        )
    ).one()
    return int(row[0]), int(row[1])
