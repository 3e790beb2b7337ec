"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set).

.ci/run runs the suite a second time with TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import asyncio
import os

# Before anything imports litellm: no network on these machines, and respx must see the calls.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")
os.environ.setdefault("INSIGHTS_ENV", "development")
os.environ.pop("INSIGHTS_MODEL", None)
os.environ.pop("REDIS_URL", None)

from collections.abc import AsyncIterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import hypothesis  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker  # noqa: E402

import insights  # noqa: E402,F401  (offline defaults for tiktoken)
from insights.core.config import Settings, async_database_url  # noqa: E402
from insights.core.db import Base, make_engine, make_sessionmaker  # noqa: E402
from insights.core.schema import create_schema, drop_schema  # noqa: E402
from tests.hypothesis_profiles import PROFILE  # noqa: E402

hypothesis.settings.load_profile(PROFILE)  # "ci" when CI=true, else "dev" (fewer examples)

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"… under pytest -n; None otherwise
# Under pytest-xdist each worker gets a PostgreSQL database of its own (<name>_gw0…), made on first use.
PG_URL = os.environ.get("TEST_DATABASE_URL")
if PG_URL and _WORKER:
    PG_URL = f"{PG_URL}_{_WORKER}"
_pg_schema_ready = False
_pg_database_made = False


def _make_worker_database() -> None:
    global _pg_database_made
    if _pg_database_made or not (PG_URL and _WORKER):
        return
    import threading

    import asyncpg

    base, name = PG_URL.rsplit("/", 1)

    async def make() -> None:
        conn = await asyncpg.connect(f"{base}/postgres")
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    # A thread of its own: pytest-asyncio may own this thread's event loop.
    t = threading.Thread(target=lambda: asyncio.run(make()))
    t.start()
    t.join()
    _pg_database_made = True


def is_postgres() -> bool:
    return bool(PG_URL)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    if PG_URL:
        _make_worker_database()
        return async_database_url(PG_URL)
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(DATABASE_URL=database_url, INSIGHTS_ENV="development")


async def truncate_all(engine: AsyncEngine) -> None:
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
        else:
            for n in names:
                await conn.execute(text(f'DELETE FROM "{n}"'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    global _pg_schema_ready
    eng = make_engine(database_url)
    if PG_URL:
        if not _pg_schema_ready:
            await drop_schema(eng)
            await create_schema(eng)
            _pg_schema_ready = True
        else:
            await truncate_all(eng)
    else:
        await create_schema(eng)
    try:
        yield eng
    finally:
        if PG_URL:
            await truncate_all(eng)
        await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as s:
        yield s


DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def demo_now() -> datetime:
    return DEMO_NOW


@pytest.fixture
async def demo(sessionmaker: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The demo accounts imported at a fixed clock (``DEMO_NOW``)."""
    from insights.crm.demo import demo_accounts
    from insights.crm.importer import import_records
    from insights.crm.reader import iter_document

    async with sessionmaker() as s:
        for doc in demo_accounts(DEMO_NOW):
            report = await import_records(s, iter_document(doc))
            assert report.rejected == [], report.rejected
        await s.commit()
    return sessionmaker


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that opens a database is a ``db`` test: .ci/run runs those again on PostgreSQL
    (``-m db``); the rest (pure units, the fake model, profiles) need no second database."""
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
        # Tests on the machine's Redis share its numbered databases (and FLUSHDB them): under
        # pytest -n they all run on one worker, one after another (--dist loadgroup).
        if "6379" in _module_text(item):
            item.add_marker(pytest.mark.xdist_group("redis"))


_texts: dict[str, str] = {}


def _module_text(item: pytest.Item) -> str:
    path = str(item.path)
    if path not in _texts:
        _texts[path] = Path(path).read_text(encoding="utf-8")
    return _texts[path]
