"""Small SQL helpers the import shares: bulk upserts, chunked IN lists, value comparison."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")
IN_CHUNK = 500  # ids per IN list: well under both drivers' bind-parameter limits
BIND_LIMIT = 30000  # bind parameters per bulk statement (SQLite allows 32766, asyncpg 32767)


def upsert(dialect: str, table: Table, rows: list[dict[str, Any]], *, update_cols: bool) -> Any:
    """``INSERT … ON CONFLICT (pk)``: update the given columns, or do nothing."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    pk = [c.name for c in table.primary_key.columns]
    if not update_cols:
        return stmt.on_conflict_do_nothing(index_elements=pk)
    cols = [k for k in rows[0] if k not in pk]
    return stmt.on_conflict_do_update(index_elements=pk, set_={c: stmt.excluded[c] for c in cols})


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def norm(v: Any) -> Any:
    """Compare datetimes as UTC wall time: SQLite hands them back naive."""
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)
    return v


def same(a: Any, b: Any) -> bool:
    return bool(norm(a) == norm(b))
