"""Bulk writes of one import chunk: rows only when new or changed, links only when missing.

Every statement is a multi-row ``INSERT … ON CONFLICT`` (or one DELETE per IN list), never one ORM
object at a time. What each write reaches is the importer's business: these return what they wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from insights.core.db import Base
from insights.crm import models as m
from insights.crm.invalidate import TEXT_COLUMNS, record_addresses
from insights.crm.sql import BIND_LIMIT, chunks, norm, same, upsert

Written = list[tuple[dict[str, Any], Mapping[Any, Any] | None]]  # (row given, row stored before)


class ChunkWriter:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.written: dict[str, tuple[int, int]] = {}  # table → (rows written, rows at last ANALYZE)

    async def rows(
        self,
        portal_id: str,
        kind: str,
        model: type[Base],
        rows: list[dict[str, Any]],
        count: Callable[[str], None],
    ) -> Written:
        """Upsert rows; only created or changed rows are written (``count`` hears each outcome).
        Returns each written row with the row stored before (None when it is new)."""
        # DeclarativeBase types __table__ as FromClause; a declarative class's is always a Table
        table: Table = model.__table__  # type: ignore[assignment]
        last: dict[str, dict[str, Any]] = {}
        for row in rows:  # the same id twice in one chunk: the last one wins
            last[row["id"]] = row
        activity = model is m.Activity
        cols = [table.c[c] for c in rows[0]]
        cols += [table.c.next_step_changed_at] if kind == "deal" else []
        cols += [table.c[c] for c in TEXT_COLUMNS] if activity else []  # addresses are of the whole text
        existing = {}
        for ids in chunks(list(last)):
            stmt = select(*set(cols)).where(table.c.portal_id == portal_id, table.c.id.in_(ids))
            existing.update({r.id: r._mapping for r in (await self.session.execute(stmt)).all()})
        written: Written = []
        for rid, row in last.items():
            old = existing.get(rid)
            if kind == "deal" and old is not None and row["next_step_changed_at"] is None:
                # no history given: the next step "changed" when its value differs from the stored one
                row["next_step_changed_at"] = (
                    (row.get("updated_at") or datetime.now(UTC))
                    if (old["next_step"] != row["next_step"])
                    else old["next_step_changed_at"]
                )
            if old is None:
                count("created")
            elif any(same(old[c], v) is False for c, v in row.items()):
                count("updated")
            else:
                count("unchanged")
                continue
            written.append((row, old))
        write = [row for row, _ in written]
        for part in chunks(write, max(1, BIND_LIMIT // len(rows[0]))):
            await self.session.execute(upsert(self.dialect, table, list(part), update_cols=True), list(part))
        await self.keep_statistics(table.name, len(write))
        if activity:
            n = await record_addresses(self.session, self.dialect, portal_id, written)
            await self.keep_statistics(m.ActivityAddress.__tablename__, n)
        return written

    async def links(self, model: type[Base], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert association/history rows that are not there yet; returns the new ones."""
        # DeclarativeBase types __table__ as FromClause; a declarative class's is always a Table
        table: Table = model.__table__  # type: ignore[assignment]
        pk = [c.name for c in table.primary_key.columns]
        uniq = list({tuple(norm(r[c]) for c in pk): r for r in rows}.values())
        new: list[dict[str, Any]] = []
        for part in chunks(uniq, max(1, BIND_LIMIT // len(table.columns))):
            stmt = upsert(self.dialect, table, list(part), update_cols=False).returning(
                *table.primary_key.columns
            )
            new.extend(dict(r._mapping) for r in await self.session.execute(stmt, list(part)))
        await self.keep_statistics(table.name, len(new))  # activity_links is read back by activity id
        return new

    async def shares(self, portal_id: str, deals: dict[str, set[tuple[str, str]]]) -> list[str]:
        """A deal's shares are what its latest record says; rewritten only when they differ.
        Returns the deals rewritten."""
        share = m.DealShare
        ids = sorted(deals)
        current: dict[str, set[tuple[str, str]]] = {d: set() for d in ids}
        for part in chunks(ids):
            stmt = select(share).where(share.portal_id == portal_id, share.deal_id.in_(part))
            for r in (await self.session.execute(stmt)).scalars():
                current[r.deal_id].add((r.principal_type, r.principal_id))
        differ = [d for d in ids if current[d] != deals[d]]
        for part in chunks(differ):
            await self.session.execute(
                delete(share).where(share.portal_id == portal_id, share.deal_id.in_(part))
            )
        self.session.add_all(
            share(portal_id=portal_id, deal_id=d, principal_type=t, principal_id=p)
            for d in differ
            for t, p in deals[d]
        )
        await self.session.flush()
        return differ

    async def keep_statistics(self, table: str, n: int) -> None:
        """Tables grow inside this one transaction while PostgreSQL's statistics still say "empty";
        its planner then scans the whole table for each chunk's existing ids and the import turns
        quadratic. ANALYZE (which sees our own uncommitted rows) each time a table has doubled."""
        if self.dialect != "postgresql" or n == 0:
            return
        written, analyzed = self.written.get(table, (0, 0))
        written += n
        if written >= max(5000, 2 * analyzed):
            await self.session.execute(text(f'ANALYZE "{table}"'))
            analyzed = written
        self.written[table] = (written, analyzed)
