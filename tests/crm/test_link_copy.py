"""The activity's time, type, owner, archival and task status on each of its links stay exactly
the activity's, whoever writes: the importer (new links, upserts that move a time, change an owner,
archive), an ORM row, a hand-written UPDATE of the activity, or one of the copy itself."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from insights.crm import models as m
from insights.crm.sql import norm
from tests.conftest import is_postgres
from tests.crm.helpers import change, run, small_doc


async def out_of_step(sm: async_sessionmaker[AsyncSession]) -> list[Any]:
    """Links whose copy differs from their activity (and how many links there are)."""
    link, a = m.ActivityLink, m.Activity
    async with sm() as s:
        rows = (
            await s.execute(
                select(link, a).join(a, (a.portal_id == link.portal_id) & (a.id == link.activity_id))
            )
        ).all()
    assert rows, "no links: the test checks nothing"
    return [
        (lk.object_type, lk.object_id, lk.activity_id)
        for lk, act in rows
        if (norm(lk.occurred_at), lk.activity_type, lk.owner_id, lk.archived, lk.task_status)
        != (norm(act.occurred_at), act.type, act.owner_id, act.archived, act.task_status)
    ]


async def copy_of(sm: async_sessionmaker[AsyncSession], aid: str) -> set[tuple[Any, ...]]:
    link = m.ActivityLink
    async with sm() as s:
        rows = await s.execute(
            select(link.object_type, link.occurred_at, link.owner_id, link.archived).where(
                link.activity_id == aid
            )
        )
        return {(r[0], norm(r[1]), r[2], r[3]) for r in rows}


async def test_importer_writes_keep_every_links_copy_in_step(sessionmaker) -> None:
    doc = small_doc()
    await run(sessionmaker, doc)
    assert await out_of_step(sessionmaker) == []
    email = doc["emails"][0]
    moved = change(email, hs_timestamp="2026-11-15T08:00:00Z", hubspot_owner_id="102")
    relinked = {**moved, "associations": {"deals": {"results": [{"id": "9001"}]}}}  # a new path too
    note = change(doc["notes"][0], archived=True)
    await run(sessionmaker, {**doc, "emails": [relinked], "notes": [note]})
    assert await out_of_step(sessionmaker) == []
    got = await copy_of(sessionmaker, "e1")
    assert {k for k, *_ in got} == {"contact", "deal"}
    assert {(o, archived) for _, _, o, archived in got} == {("102", False)}
    assert {str(t) for _, t, *_ in got} == {"2026-11-15 08:00:00"}
    assert {archived for *_, archived in await copy_of(sessionmaker, "n1")} == {True}


async def test_orm_rows_and_hand_written_updates_keep_the_copy_in_step(sessionmaker) -> None:
    await run(sessionmaker, small_doc())
    async with sessionmaker() as s:  # a link written by code that knows nothing of the copy
        s.add(m.ActivityLink(portal_id="acme", object_type="company", object_id="9", activity_id="e1"))
        await s.commit()
    assert await out_of_step(sessionmaker) == []
    async with sessionmaker() as s:
        await s.execute(
            text(
                "UPDATE activities SET owner_id = NULL, type = 'task', task_status = 'WAITING'"
                " WHERE id = 'e1'"
            )
        )
        await s.commit()
    assert await out_of_step(sessionmaker) == []
    async with sessionmaker() as s:  # the copy itself cannot be set to anything but the activity's
        await s.execute(text("UPDATE activity_links SET owner_id = '999', archived = :t"), {"t": True})
        await s.commit()
    assert await out_of_step(sessionmaker) == []
    assert {o for _, _, o, _ in await copy_of(sessionmaker, "e1")} == {None}


async def test_a_link_written_beside_an_owner_change_takes_the_committed_owner(sessionmaker) -> None:
    """Two imports at once on PostgreSQL (READ COMMITTED): one moves e1 to owner 102 while the other
    links e1 to a new company. Without a lock the new link copied the owner as last committed (101)
    and the owner change's trigger could not see the uncommitted link: the copy stayed 101 for good,
    and counts read from it would count e1 for 101's team. Both orders must end in step."""
    if not is_postgres():
        pytest.skip("SQLite serialises writers: the race needs two concurrent transactions")
    await run(sessionmaker, small_doc())
    for owner, first in (("102", "update"), ("103", "insert")):
        company = f"race-{owner}"
        async with sessionmaker() as t1, sessionmaker() as t2:
            update = text("UPDATE activities SET owner_id = :o WHERE portal_id = 'acme' AND id = 'e1'")
            link = m.ActivityLink(
                portal_id="acme", object_type="company", object_id=company, activity_id="e1"
            )
            if first == "update":
                await t1.execute(update, {"o": owner})  # holds e1's row until t1 commits
                t2.add(link)
                pending = asyncio.create_task(t2.commit())  # the insert waits for t1 (FOR SHARE)
                await asyncio.sleep(0.3)
                await t1.commit()
                await pending
            else:
                t2.add(link)
                await t2.flush()  # the link is written, not committed; e1 is share-locked
                pending = asyncio.create_task(t1.execute(update, {"o": owner}))  # waits for t2
                await asyncio.sleep(0.3)
                await t2.commit()
                await pending
                await t1.commit()
        assert await out_of_step(sessionmaker) == [], first


async def test_a_link_moved_to_another_activity_takes_that_activitys_copy(sessionmaker) -> None:
    """An UPDATE of a link's activity_id (no code of ours does it, a hand-written fix might): the
    copy follows the new activity on both databases (SQLite's guard listed only the copied columns)."""
    await run(sessionmaker, small_doc())
    async with sessionmaker() as s:
        await s.execute(text("UPDATE activities SET owner_id = '102' WHERE id = 'n1'"))
        await s.execute(
            text(
                "UPDATE activity_links SET activity_id = 'n1'"
                " WHERE activity_id = 'e1' AND object_type = 'contact'"
            )
        )
        await s.commit()
    assert await out_of_step(sessionmaker) == []
