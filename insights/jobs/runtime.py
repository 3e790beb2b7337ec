"""The jobs' async world: Huey runs each task on a worker thread; each thread keeps its own event
loop, database engine and insight service (asyncpg and redis.asyncio connections belong to one
loop). An in-process cache (the demo's) is shared with the API so a rebuilt insight is its hit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from insights.core.config import Settings
from insights.core.db import make_engine, make_sessionmaker
from insights.insight.cache import InsightCache, MemoryCache, make_cache
from insights.insight.service import InsightService

T = TypeVar("T")
Clock = Callable[[], datetime]


@dataclass
class State:
    """One worker thread's loop, engine, sessions and insight service."""

    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    service: InsightService
    settings: Settings
    clock: Clock


class Runtime:
    def __init__(
        self, settings: Settings, cache: InsightCache | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.cache = cache if isinstance(cache, MemoryCache) else None  # a Redis client is per loop
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._local = threading.local()
        self._all: list[State] = []
        self._lock = threading.Lock()

    def state(self) -> State:
        st: State | None = getattr(self._local, "state", None)
        if st is None:
            loop = asyncio.new_event_loop()
            engine = make_engine(self.settings.database_url)
            service = InsightService(self.settings, self.cache or make_cache(self.settings.redis_url))
            service.clock = self.clock
            st = State(loop, engine, make_sessionmaker(engine), service, self.settings, self.clock)
            self._local.state = st
            with self._lock:
                self._all.append(st)
        return st

    def run(self, job: Callable[[State], Awaitable[T]]) -> T:
        """Run one async job body on this thread's loop."""
        st = self.state()
        return st.loop.run_until_complete(job(st))

    def close(self) -> None:
        """Dispose every thread's engine (after the consumer stopped: no loop is running)."""
        with self._lock:
            states, self._all = self._all, []

        def dispose() -> None:  # on a thread of its own: the caller may be inside a running loop
            for st in states:
                st.loop.run_until_complete(st.engine.dispose())
                st.loop.close()

        closer = threading.Thread(target=dispose)
        closer.start()
        closer.join()
