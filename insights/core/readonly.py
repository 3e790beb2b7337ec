"""A read-only door for the hot path: one statement on a driver connection, no ORM Session, no
transaction to open or commit.

The cached insight read is one indexed statement (the version counters, ``_versions_statement``).
Run through an ``AsyncSession`` it paid far more than the query: the Session's transaction
bookkeeping, a pool checkout (with PostgreSQL's pre-ping round trip), a commit, the reset on return,
and on SQLite aiosqlite's hop to the connection's own thread for every cursor step (under load the
loop and a dozen such threads queue for the GIL). Here:

- SQLite: one plain ``sqlite3`` connection used on the event loop's own thread, ``query_only``, in
  autocommit (no read transaction outlives a statement, so each read sees the last commit). It never
  waits for a lock (busy timeout 0): an indexed read in WAL mode takes tens of microseconds, less
  than one thread hop, and a busy database answers ``Unavailable`` at once.
- PostgreSQL: a small asyncpg pool of its own, sessions read-only, statements in autocommit, no
  reset round trip on release (these connections never change session state).

``Unavailable`` means "ask the usual way": the caller falls back to its session, so this door is
never the only way to an answer. A statement is compiled once (``prepare``) to the driver's SQL with
its fixed parameters; only the named ones are bound per call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler


class Unavailable(Exception):
    """The read could not run here (busy, disconnected): run it through a session instead."""


@dataclass(frozen=True)
class Prepared:
    sql: str
    args: tuple[Any, ...]  # the fixed parameters in the driver's order
    slots: tuple[tuple[int, str], ...]  # (position, name) of each parameter bound per call

    def bind(self, values: Mapping[str, Any]) -> list[Any]:
        args = list(self.args)
        for position, name in self.slots:
            args[position] = values[name]
        return args


def prepare(dialect: Dialect, stmt: ClauseElement, names: tuple[str, ...]) -> Prepared | None:
    """``stmt`` as the driver's SQL; ``names`` are its bind parameters given per call. None when
    a parameter needs a type conversion the driver would not do (then use a session)."""
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # a SELECT compiles to SQL
    expanded = compiled.construct_expanded_state({n: None for n in names})
    if expanded.processors or any(n not in expanded.parameters for n in names):
        return None
    order = expanded.positiontup
    if not order:  # a named paramstyle: not one this door binds
        return None
    args = tuple(expanded.parameters[n] for n in order)
    slots = tuple((i, n) for i, n in enumerate(order) if n in names)
    return Prepared(expanded.statement, args, slots)


class ReadOnly(Protocol):
    dialect: Dialect

    async def first(self, prepared: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The statement's first row (None: no row); ``Unavailable`` when it could not run."""
        ...

    async def close(self) -> None: ...


class SQLiteReadOnly:
    def __init__(self, path: str, dialect: Dialect) -> None:
        self.dialect = dialect
        # isolation_level=None: autocommit, so no read transaction is left open between statements
        self.conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA query_only=ON")

    async def first(self, prepared: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        try:
            cur = self.conn.execute(prepared.sql, prepared.bind(values))
            try:
                row: tuple[Any, ...] | None = cur.fetchone()
            finally:
                cur.close()  # ends the statement (and its read of the WAL snapshot)
        except sqlite3.Error as exc:  # busy (a checkpoint), a schema change mid-flight…
            raise Unavailable(str(exc)) from exc
        return row

    async def close(self) -> None:
        self.conn.close()


class PostgresReadOnly:
    def __init__(self, pool: Any, dialect: Dialect) -> None:
        self.pool = pool
        self.dialect = dialect

    @classmethod
    async def open(cls, engine: AsyncEngine, size: int) -> PostgresReadOnly:
        import asyncpg

        async def no_reset(_conn: object) -> None:  # read-only autocommit statements: nothing to reset
            return None

        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=size,
            reset=no_reset,
            server_settings={"default_transaction_read_only": "on"},
        )
        return cls(pool, engine.dialect)

    async def first(self, prepared: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        import asyncpg

        try:
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(prepared.sql, *prepared.bind(values))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise Unavailable(str(exc)) from exc
        return None if row is None else tuple(row)

    async def close(self) -> None:
        await self.pool.close()


async def open_readonly(engine: AsyncEngine, pg_pool_size: int = 10) -> ReadOnly | None:
    """The read-only door for ``engine``'s database, or None where there is none (in-memory SQLite,
    another driver): the caller then reads through its session, as before."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        return SQLiteReadOnly(path, engine.dialect)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        return await PostgresReadOnly.open(engine, pg_pool_size)
    return None
