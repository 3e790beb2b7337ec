"""Every table of the service, registered in one place so metadata, Alembic and ``create_schema``
see them all. The one module of ``core`` that knows the features' tables."""

from sqlalchemy.ext.asyncio import AsyncEngine

from insights.core.db import Base
from insights.core.deployment import *  # noqa: F401,F403
from insights.crm.models import *  # noqa: F401,F403
from insights.guided_actions.models import *  # noqa: F401,F403
from insights.health.models import *  # noqa: F401,F403
from insights.insight.freshness import *  # noqa: F401,F403
from insights.insight.store import *  # noqa: F401,F403
from insights.jobs.models import *  # noqa: F401,F403


async def create_schema(engine: AsyncEngine) -> None:
    """Create every table (tests); the service itself upgrades with Alembic (``core.migrate``)."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def drop_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
