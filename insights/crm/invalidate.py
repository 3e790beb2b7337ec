"""What an import reaches: from the rows it wrote to the deals whose insights may show them.

A deal's insight reads the deal, its contacts and companies, the activities linked to any of them,
and (for redaction) whether each address in those activities' text belongs to a user or to a
contact the viewer may read. So a written activity reaches every record it is linked to, by the
links already stored and not only those in the batch; a written contact reaches the activities
whose text holds its old or new address (``activity_addresses``); contacts and companies reach
their deals. Every deal reached gets its timeline version bumped, which moves its cache keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from insights.crm import models as m
from insights.crm.sql import BIND_LIMIT, chunks, same, upsert
from insights.insight.retrieval import EMAIL_RE  # the very pattern redaction applies

TEXT_COLUMNS = ("from_email", "to_emails", "title", "body", "internal_notes")  # what redaction scans
ADDRESS_MAX = 320  # no user or contact address is longer: a longer match is always redacted


def addresses_in(row: Mapping[str, Any]) -> set[str]:
    """The lower-cased addresses redaction finds in an activity's text."""
    found: set[str] = set()
    for col in TEXT_COLUMNS:
        if value := row.get(col):
            found.update(e.lower() for e in EMAIL_RE.findall(value))
    return {a for a in found if len(a) <= ADDRESS_MAX}


async def record_addresses(
    session: AsyncSession,
    dialect: str,
    portal_id: str,
    written: Iterable[tuple[dict[str, Any], Mapping[Any, Any] | None]],
) -> int:
    """Keep ``activity_addresses`` what each written activity's text now holds: rows for a new
    activity, its set replaced when its text changed. ``written`` pairs the row given with the row
    stored before (None when new); a column the row does not give keeps its stored value."""
    replace: list[str] = []
    rows: list[dict[str, Any]] = []
    for row, old in written:
        text = {c: row[c] if c in row else (old[c] if old is not None else None) for c in TEXT_COLUMNS}
        if old is not None:
            if all(same(old[c], text[c]) for c in TEXT_COLUMNS):
                continue
            replace.append(row["id"])
        rows += [
            {"portal_id": portal_id, "address": a, "activity_id": row["id"]}
            for a in sorted(addresses_in(text))
        ]
    aa = m.ActivityAddress
    for ids in chunks(replace):
        await session.execute(delete(aa).where(aa.portal_id == portal_id, aa.activity_id.in_(ids)))
    # DeclarativeBase types __table__ as FromClause; a declarative class's is always a Table
    table: Table = aa.__table__  # type: ignore[assignment]
    for part in chunks(rows, BIND_LIMIT // 3):
        await session.execute(upsert(dialect, table, list(part), update_cols=False), list(part))
    return len(rows)


async def activities_mentioning(session: AsyncSession, portal_id: str, addresses: Iterable[str]) -> set[str]:
    aa = m.ActivityAddress
    found: set[str] = set()
    for part in chunks(sorted({a.lower() for a in addresses if a})):
        found.update(
            await session.scalars(
                select(aa.activity_id).where(aa.portal_id == portal_id, aa.address.in_(part))
            )
        )
    return found


async def link_targets(
    session: AsyncSession, portal_id: str, activity_ids: Iterable[str]
) -> list[tuple[str, str, str]]:
    """(activity, object type, object id) for every stored link of these activities."""
    link = m.ActivityLink
    out: list[tuple[str, str, str]] = []
    for part in chunks(sorted(set(activity_ids))):
        rows = await session.execute(
            select(link.activity_id, link.object_type, link.object_id).where(
                link.portal_id == portal_id, link.activity_id.in_(part)
            )
        )
        out += [(r.activity_id, r.object_type, r.object_id) for r in rows]
    return out


async def deals_reached(
    session: AsyncSession, portal_id: str, touched: Mapping[str, Iterable[str]]
) -> set[str]:
    """The deals among ``touched["deal"]`` and those of the touched contacts and companies."""
    deals = set(touched.get("deal", ()))
    for kind, link, col in (
        ("contact", m.DealContact, m.DealContact.contact_id),
        ("company", m.DealCompany, m.DealCompany.company_id),
    ):
        for part in chunks(sorted(set(touched.get(kind, ())))):
            deals.update(
                await session.scalars(select(link.deal_id).where(link.portal_id == portal_id, col.in_(part)))
            )
    return deals


async def bump_deals(session: AsyncSession, portal_id: str, deals: Iterable[str]) -> None:
    """Timeline version + 1 for each deal: one executemany UPDATE per chunk."""
    # DeclarativeBase types __table__ as FromClause; a declarative class's is always a Table
    deals_t: Table = m.Deal.__table__  # type: ignore[assignment]
    for ids in chunks(sorted(set(deals))):
        await session.execute(
            update(deals_t)
            .where(deals_t.c.portal_id == portal_id, deals_t.c.id == bindparam("d"))
            .values(timeline_version=deals_t.c.timeline_version + 1),
            [{"d": d} for d in ids],
        )
