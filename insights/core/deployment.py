"""The deployment's identity: a random id stored in its own database.

Shared caches (Redis) namespace every key with it, so two deployments on two databases that share
one Redis never serve each other's entries, while N API processes on one database share theirs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from insights.core.db import Base
from insights.crm.models import UTCDateTime


class Deployment(Base):
    __tablename__ = "deployment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


async def deployment_id(session: AsyncSession) -> str:
    """This database's deployment id, created on first use. Two processes racing to create it may
    briefly use different ids: that costs cache misses, never a shared entry across databases."""
    oldest = select(Deployment.id).order_by(Deployment.created_at, Deployment.id).limit(1)
    found = (await session.execute(oldest)).scalar()
    if found is None:
        found = uuid.uuid4().hex
        session.add(Deployment(id=found, created_at=datetime.now(UTC)))
        await session.flush()
    return str(found)
