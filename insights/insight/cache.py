"""The insight cache: key → the insight's JSON as served. In-process LRU; Redis when ``REDIS_URL`` is set.

The key (``InsightService.cache_key``) starts with the deployment id and holds the viewer and the version
counters, so an entry is served only to the viewer it was built for, by the deployment (database)
that built it, and never after the deal's timeline, the account's permissions or settings changed:
no invalidation messages are needed, stale keys simply stop being asked for and age out. The
values are CRM text the viewer may see: Redis must be as private as the database.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger("insights.insight.cache")


class InsightCache(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str) -> None: ...


class MemoryCache:
    def __init__(self, max_entries: int = 50_000, ttl_s: float = 36 * 3600) -> None:
        self.entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.max_entries = max_entries
        self.ttl_s = ttl_s

    async def get(self, key: str) -> str | None:
        hit = self.entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        self.entries.move_to_end(key)
        return hit[1]

    async def set(self, key: str, value: str) -> None:
        self.entries[key] = (time.monotonic() + self.ttl_s, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


class RedisCache:
    """Shared between the API processes of one deployment (keys carry its id, see the module doc).
    Fails open: with Redis down every lookup is a miss and the insight is built (or reused from
    the database), so the API keeps answering; short timeouts keep a dead Redis from stalling it.

    Each process also remembers, for ``near_s`` (1 s), the entries it read or wrote: a key seen a
    moment ago is answered without a round trip (under load a hit's Redis GET was a quarter of its
    CPU). That is safe for visibility: a key holds every version counter, so a remembered entry is
    served only under the very key Redis holds it under. Only a miss is never remembered (an entry
    built elsewhere is seen at once); what may lag by up to ``near_s`` is a second value written
    under the same key by another process (``refresh=true``, a background rebuild)."""

    def __init__(
        self, url: str, ttl_s: int = 36 * 3600, near_s: float = 1.0, near_entries: int = 10_000
    ) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
        self.ttl_s = ttl_s
        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.quiet_until = 0.0
        # the near memory is a MemoryCache of its own (bounded, entries lapse after near_s)
        self.near = MemoryCache(near_entries, near_s) if near_s > 0 else None

    async def get(self, key: str) -> str | None:
        if self.near is not None and (near := await self.near.get(key)) is not None:
            return near
        if time.monotonic() < self.quiet_until:
            return None
        try:
            value = await self.client.get(f"insights:{key}")
        except self.errors as exc:
            self.down(exc)
            return None
        if not value:
            return None
        text = str(value.decode() if isinstance(value, bytes) else value)  # str if decode_responses
        if self.near is not None:
            await self.near.set(key, text)
        return text

    async def set(self, key: str, value: str) -> None:
        if time.monotonic() < self.quiet_until:
            return
        try:
            await self.client.set(f"insights:{key}", value, ex=self.ttl_s)
        except self.errors as exc:
            self.down(exc)
            return
        if self.near is not None:
            await self.near.set(key, value)

    def down(self, exc: Exception) -> None:
        """Redis failed: answer without it for a few seconds instead of waiting on every request."""
        self.quiet_until = time.monotonic() + 10.0
        log.warning("insight cache unreachable (%s): answering without it for 10 s", type(exc).__name__)


def make_cache(redis_url: str | None) -> InsightCache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
