"""Alembic: a fresh database upgraded to head matches the models exactly; upgrading is idempotent;
an upgrade from the last release backfills what the new tables must hold."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from insights.core.config import Settings
from insights.core.db import Base, make_engine
from insights.core.migrate import alembic_config, upgrade
from insights.core.schema import drop_schema
from insights.crm.link_copy import TRIGGERS
from insights.insight.retrieval import EMAIL_RE

HEAD = "0007"


async def _empty(settings: Settings, engine: AsyncEngine) -> AsyncEngine:
    await drop_schema(engine)  # start from nothing (the fixture created the tables with create_all)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return make_engine(settings.database_url)


async def test_upgrade_from_empty_matches_the_models(settings: Settings, engine) -> None:
    fresh = await _empty(settings, engine)
    await upgrade(fresh)
    await upgrade(fresh)  # idempotent

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with fresh.connect() as conn:
        changes = await conn.run_sync(diff)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await fresh.dispose()
    assert changes == [] and version == HEAD


async def test_upgrade_from_0001_backfills_the_addresses_in_stored_activities(
    settings: Settings, engine
) -> None:
    fresh = await _empty(settings, engine)

    def to_0001(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")

    acts = sa.table(
        "activities",
        *map(
            sa.column, ("portal_id", "id", "type", "occurred_at", "archived", "from_email", "title", "body")
        ),
    )
    async with fresh.begin() as conn:
        await conn.run_sync(to_0001)
        when = datetime(2026, 11, 1, tzinfo=UTC)
        base = {"portal_id": "p", "type": "note", "occurred_at": when, "archived": False}
        await conn.execute(
            acts.insert(),
            [
                {
                    **base,
                    "id": "a1",
                    "from_email": None,
                    "title": None,
                    "body": "Ask Zed@Outside.example today",
                },
                {
                    **base,
                    "id": "a2",
                    "from_email": "ana@acme.example",
                    "title": "cc ana@acme.example",
                    "body": "",
                },
                {**base, "id": "a3", "from_email": None, "title": "no address", "body": "none@here"},
            ],
        )
    await upgrade(fresh)
    async with fresh.connect() as conn:
        rows = (
            await conn.execute(text("SELECT portal_id, address, activity_id FROM activity_addresses"))
        ).all()
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await fresh.dispose()
    assert version == HEAD
    assert sorted(map(tuple, rows)) == [("p", "ana@acme.example", "a2"), ("p", "zed@outside.example", "a1")]


def test_the_backfill_finds_addresses_as_redaction_does() -> None:
    migration = importlib.import_module("insights.core.migrations.versions.0002_activity_addresses")
    assert migration.EMAIL_RE.pattern == EMAIL_RE.pattern


async def test_upgrade_from_0004_makes_the_follows_meeting_index_partial(settings: Settings, engine) -> None:
    """0006: the index holds only the tasks that follow a meeting, so SQLite's statistics no longer
    count every other activity's NULL as one shared value (rule 7 then looks tasks up by owner)."""
    fresh = await _empty(settings, engine)

    def to_0004(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0004")

    def definition(connection: Connection) -> str:
        if connection.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_activities_follows_meeting'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_activities_follows_meeting'"
        return str(connection.execute(text(query)).scalar())

    acts = sa.table("activities", *map(sa.column, ("portal_id", "id", "type", "occurred_at", "archived")))
    when = datetime(2026, 11, 1, tzinfo=UTC)
    async with fresh.begin() as conn:
        await conn.run_sync(to_0004)
        assert "WHERE" not in (await conn.run_sync(definition)).upper()
        await conn.execute(
            acts.insert(),
            [
                {"portal_id": "p", "id": f"a{i}", "type": "task", "occurred_at": when, "archived": False}
                for i in range(3)
            ],
        )
        await conn.execute(text("UPDATE activities SET follows_meeting_id = 'm1' WHERE id = 'a1'"))
    await upgrade(fresh)
    async with fresh.connect() as conn:
        partial = await conn.run_sync(definition)
        follows = (
            await conn.execute(
                text("SELECT id FROM activities WHERE portal_id = 'p' AND follows_meeting_id = 'm1'")
            )
        ).all()
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await fresh.dispose()
    assert version == HEAD
    assert "follows_meeting_id IS NOT NULL" in partial.replace("(", "").replace(")", "")
    assert [r[0] for r in follows] == ["a1"]


async def test_upgrade_from_0006_indexes_the_sequence_tasks_alone(settings: Settings, engine) -> None:
    """0007: the sequence tasks get a partial index by owner (rule 4), holding those tasks only;
    the rule's lookup uses it on the upgraded database."""
    fresh = await _empty(settings, engine)

    def to_0006(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0006")

    def definition(connection: Connection) -> str | None:
        if connection.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_activities_sequence_tasks'"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_activities_sequence_tasks'"
        return connection.execute(text(query)).scalar()

    acts = sa.table(
        "activities", *map(sa.column, ("portal_id", "id", "type", "occurred_at", "archived", "owner_id"))
    )
    when = datetime(2026, 11, 1, tzinfo=UTC)
    async with fresh.begin() as conn:
        await conn.run_sync(to_0006)
        assert await conn.run_sync(definition) is None
        await conn.execute(
            acts.insert(),
            [
                {"portal_id": "p", "id": f"t{i}", "type": "task", "occurred_at": when, "archived": False,
                 "owner_id": "u1"}
                for i in range(3)
            ],
        )  # fmt: skip
        await conn.execute(text("UPDATE activities SET sequence_id = 's1' WHERE id = 't1'"))
    await upgrade(fresh)
    async with fresh.connect() as conn:
        partial = str(await conn.run_sync(definition))
        found = (
            await conn.execute(
                text(
                    "SELECT id FROM activities WHERE portal_id = 'p' AND owner_id = 'u1' AND type = 'task'"
                    " AND sequence_id IS NOT NULL"
                )
            )
        ).all()
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await fresh.dispose()
    assert version == HEAD
    assert "sequence_id IS NOT NULL" in partial.replace("(", "").replace(")", "")
    assert [r[0] for r in found] == ["t1"]


async def test_upgrade_from_0004_fills_the_links_timeline_copy_and_keeps_it(
    settings: Settings, engine
) -> None:
    """Links stored before 0005 get their activity's time, type, owner and archival; afterwards the
    triggers keep them in step with a changed activity and fill a new link."""
    fresh = await _empty(settings, engine)

    def to_0004(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0004")

    acts = sa.table(
        "activities", *map(sa.column, ("portal_id", "id", "type", "owner_id", "occurred_at", "archived"))
    )
    links = sa.table(
        "activity_links", *map(sa.column, ("portal_id", "object_type", "object_id", "activity_id"))
    )
    when = datetime(2026, 11, 1, tzinfo=UTC)
    async with fresh.begin() as conn:
        await conn.run_sync(to_0004)
        await conn.execute(
            acts.insert(),
            [
                {
                    "portal_id": "p",
                    "id": "a1",
                    "type": "note",
                    "owner_id": "u1",
                    "occurred_at": when,
                    "archived": False,
                },
                {
                    "portal_id": "p",
                    "id": "a2",
                    "type": "email",
                    "owner_id": None,
                    "occurred_at": when,
                    "archived": True,
                },
            ],
        )
        await conn.execute(
            links.insert(),
            [
                {"portal_id": "p", "object_type": "deal", "object_id": "d1", "activity_id": "a1"},
                {"portal_id": "p", "object_type": "contact", "object_id": "c1", "activity_id": "a1"},
                {"portal_id": "p", "object_type": "deal", "object_id": "d1", "activity_id": "a2"},
            ],
        )
    await upgrade(fresh)
    query = text(
        "SELECT object_type, activity_id, activity_type, owner_id, archived, occurred_at FROM activity_links "
        "ORDER BY activity_id, object_type"
    )

    async def copied() -> list[tuple]:
        async with fresh.connect() as conn:
            return [
                (r[0], r[1], r[2], r[3], bool(r[4]), str(r[5])[:10])
                for r in (await conn.execute(query)).all()
            ]

    assert await copied() == [
        ("contact", "a1", "note", "u1", False, "2026-11-01"),
        ("deal", "a1", "note", "u1", False, "2026-11-01"),
        ("deal", "a2", "email", None, True, "2026-11-01"),
    ]
    async with fresh.begin() as conn:  # the triggers 0005 installed: a changed activity, a new link
        await conn.execute(
            acts.update()
            .where(acts.c.id == "a1")
            .values(owner_id="u2", occurred_at=datetime(2026, 11, 3, tzinfo=UTC))
        )
        await conn.execute(
            links.insert().values(portal_id="p", object_type="company", object_id="k1", activity_id="a2")
        )
    assert await copied() == [
        ("contact", "a1", "note", "u2", False, "2026-11-03"),
        ("deal", "a1", "note", "u2", False, "2026-11-03"),
        ("company", "a2", "email", None, True, "2026-11-01"),
        ("deal", "a2", "email", None, True, "2026-11-01"),
    ]
    await fresh.dispose()


def test_the_migration_installs_the_triggers_the_models_create() -> None:
    migration = importlib.import_module("insights.core.migrations.versions.0005_link_timeline")
    assert migration.TRIGGERS == TRIGGERS
