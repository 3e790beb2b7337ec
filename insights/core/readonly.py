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
- PostgreSQL: a few asyncpg connections of its own, sessions read-only, statements in autocommit,
  handed out by a free list (no reset round trip on release: they never change session state).

``Unavailable`` means "ask the usual way": the caller falls back to its session, so this door is
never the only way to an answer. A statement is compiled once (``prepare``) to the driver's SQL with
its fixed parameters; only the named ones are bound per call.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
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
    """``stmt`` as the driver's SQL; ``names`` are its bind parameters given per call. The fixed
    parameters are converted as SQLAlchemy would (a team's owner set to JSON on SQLite: a
    ``OneOf``); None when a per-call one needs a conversion (then use a session)."""
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)  # a SELECT compiles to SQL
    expanded = compiled.construct_expanded_state({n: None for n in names})
    # by parameter name (the expanded state lists the expanding ones only); a fixed one is
    # converted here, once
    convert: dict[str, Any] = {**compiled._bind_processors, **expanded.processors}
    if any(n in convert or n not in expanded.parameters for n in names):
        return None
    order = expanded.positiontup
    if not order:  # a named paramstyle: not one this door binds
        return None
    fixed = expanded.parameters
    args = tuple(convert[n](fixed[n]) if n in convert else fixed[n] for n in order)
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
    """Up to ``size`` asyncpg connections, each running one statement at a time, handed out from a
    free list. Not ``asyncpg.Pool``: its acquire and release cost about three times the query's own
    CPU here (100 µs against 35 µs), and these connections need nothing it manages (no
    transactions, no session state to reset, no listeners)."""

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int, dialect: Dialect) -> None:
        self.connect = connect
        self.size = size
        self.dialect = dialect
        self.idle: list[Any] = []
        self.opened = 0  # idle + in use + being opened
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.closed = False

    @classmethod
    async def open(cls, engine: AsyncEngine, size: int) -> PostgresReadOnly:
        import asyncpg

        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect() -> Awaitable[Any]:
            opening: Awaitable[Any] = asyncpg.connect(
                dsn, server_settings={"default_transaction_read_only": "on"}
            )
            return opening

        return cls(connect, size, engine.dialect)

    async def first(self, prepared: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        import asyncpg

        errors = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
        try:
            conn = await self._acquire()
        except errors as exc:
            raise Unavailable(str(exc)) from exc
        try:
            row = await conn.fetchrow(prepared.sql, *prepared.bind(values))
        except BaseException as exc:  # failed or cancelled mid-statement: the connection's state is unknown
            self._discard(conn)
            if isinstance(exc, errors):
                raise Unavailable(str(exc)) from exc
            raise
        self._release(conn)
        return None if row is None else tuple(row)

    async def _acquire(self) -> Any:
        if self.closed:
            raise Unavailable("closed")
        if self.idle:
            return self.idle.pop()
        if self.opened < self.size:
            self.opened += 1
            return await self._connect()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            conn = await waiter  # a connection from _release, or None from _discard: open one
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._pass_on(waiter.result())  # handed over just as this request was cancelled
            raise
        return await self._connect() if conn is None else conn

    async def _connect(self) -> Any:
        """A new connection, ``opened`` already counting it."""
        try:
            return await self.connect()
        except BaseException:
            self._pass_on(None)
            raise

    def _release(self, conn: Any) -> None:
        if self.closed:
            self.opened -= 1
            conn.terminate()
        else:
            self._pass_on(conn)

    def _discard(self, conn: Any) -> None:
        conn.terminate()
        self._pass_on(None)

    def _pass_on(self, conn: Any | None) -> None:
        """A connection (or, None, the room for one) to the first request still waiting, else idle."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():  # a cancelled request no longer waits
                waiter.set_result(conn)
                return
        if conn is None:
            self.opened -= 1
        else:
            self.idle.append(conn)

    async def close(self) -> None:
        self.closed = True
        idle, self.idle = self.idle, []
        for conn in idle:
            self.opened -= 1
            await conn.close()
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_exception(Unavailable("closed"))
        self.waiters.clear()


async def open_readonly(engine: AsyncEngine, pg_pool_size: int = 4) -> ReadOnly | None:
    """The read-only door for ``engine``'s database, or None where there is none (in-memory SQLite,
    another driver): the caller then reads through its session, as before. ``pg_pool_size`` per
    process: more connections are more backends to wake on shared cores (wrk -c50 on 2 workers,
    2 cores: 4 gave p99 33-50 ms, 10 gave 45-77 ms, 25 gave 82-97 ms); a request beyond them waits
    for one to be handed on, which costs less than a backend's wake-up."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        return SQLiteReadOnly(path, engine.dialect)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        return await PostgresReadOnly.open(engine, pg_pool_size)
    return None
