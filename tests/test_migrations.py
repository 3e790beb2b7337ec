"""Alembic: a fresh database upgraded to head matches the models exactly; upgrading is idempotent."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from insights.config import Settings
from insights.db import Base, drop_schema, make_engine
from insights.migrate import upgrade


async def test_upgrade_from_empty_matches_the_models(settings: Settings, engine) -> None:
    await drop_schema(engine)  # start from nothing (the fixture created the tables with create_all)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    fresh = make_engine(settings.database_url)
    await upgrade(fresh)
    await upgrade(fresh)  # idempotent

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with fresh.connect() as conn:
        changes = await conn.run_sync(diff)
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await fresh.dispose()
    assert changes == [] and version == "0001"
