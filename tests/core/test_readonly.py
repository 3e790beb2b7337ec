"""The read-only door of the cached read (``insights/core/readonly.py``), on the test database
(SQLite, or PostgreSQL under ``-m db``)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from insights.core.readonly import PostgresReadOnly, Prepared, ReadOnly, Unavailable, open_readonly, prepare
from insights.crm.models import Account
from insights.permissions.one_of import OneOf


@pytest.fixture
async def door(engine: AsyncEngine) -> ReadOnly:
    async with engine.begin() as conn:
        await conn.execute(Account.__table__.insert().values(id="p1", name="One"))
    reader = await open_readonly(engine)
    assert reader is not None
    yield reader
    await reader.close()


def name_of(reader: ReadOnly) -> Prepared:
    stmt = select(Account.name).where(Account.id == bindparam("account_id"), Account.name.in_(["One", "Two"]))
    prepared = prepare(reader.dialect, stmt, ("account_id",))
    assert prepared is not None
    return prepared


async def test_reads_the_row_with_the_parameter_bound_per_call(door: ReadOnly) -> None:
    prepared = name_of(door)
    assert await door.first(prepared, {"account_id": "p1"}) == ("One",)
    assert await door.first(prepared, {"account_id": "p2"}) is None


async def test_it_cannot_write(door: ReadOnly, engine: AsyncEngine) -> None:
    with pytest.raises(Unavailable):
        await door.first(Prepared("UPDATE accounts SET name = 'Written'", (), ()), {})
    async with engine.connect() as conn:
        assert (await conn.execute(select(Account.name))).scalar_one() == "One"


async def test_a_failed_statement_leaves_the_door_working(door: ReadOnly) -> None:
    with pytest.raises(Unavailable):
        await door.first(Prepared("SELECT no_such_column FROM accounts", (), ()), {})
    assert await door.first(name_of(door), {"account_id": "p1"}) == ("One",)


async def test_a_closed_door_is_unavailable(door: ReadOnly) -> None:
    await door.close()
    with pytest.raises(Unavailable):
        await door.first(name_of(door), {"account_id": "p1"})


async def test_postgres_opens_at_most_its_size_and_hands_connections_on(door: ReadOnly) -> None:
    if not isinstance(door, PostgresReadOnly):
        pytest.skip("PostgreSQL only (SQLite reads on the loop's thread, one connection)")
    door.size = 2
    prepared = name_of(door)
    rows = await asyncio.gather(*(door.first(prepared, {"account_id": "p1"}) for _ in range(20)))
    assert rows == [("One",)] * 20
    assert door.opened <= 2 and len(door.idle) == door.opened and not door.waiters
    # a request cancelled while waiting for a connection takes none with it
    busy = [asyncio.create_task(door.first(prepared, {"account_id": "p1"})) for _ in range(4)]
    await asyncio.sleep(0)
    busy[-1].cancel()
    await asyncio.gather(*busy, return_exceptions=True)
    assert door.opened <= 2 and len(door.idle) == door.opened
    assert await door.first(prepared, {"account_id": "p1"}) == ("One",)


async def test_a_fixed_parameter_is_converted_once_as_sqlalchemy_would(door: ReadOnly) -> None:
    """A team's owner set (``OneOf``: a JSON array on SQLite, a text array on PostgreSQL) is fixed
    in the statement: the door converts it when preparing, so a team-scoped viewer's hit still
    takes the door (it used to refuse any statement with a conversion)."""
    stmt = select(Account.name).where(
        Account.id == bindparam("account_id"), OneOf(Account.name, ["Two", "One"])
    )
    prepared = prepare(door.dialect, stmt, ("account_id",))
    assert prepared is not None
    assert await door.first(prepared, {"account_id": "p1"}) == ("One",)
    outside = prepare(door.dialect, select(Account.name).where(OneOf(Account.name, ["Two"])), ())
    assert outside is not None and await door.first(outside, {}) is None
