"""Alembic environment: the service's own metadata, run on the configured (async) database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import insights.core.schema  # noqa: F401  (registers every table)
from insights.core.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from the app with an open connection
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # alembic.ini names no database: insights.core.migrate sets the configured one
        raise RuntimeError("no sqlalchemy.url: run migrations through insights.core.migrate")
    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    asyncio.run(_online())
