"""The insight cache: the in-process LRU (TTL, eviction) and the Redis one (round trip, expiry set)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from insights.insight.cache import MemoryCache, RedisCache, make_cache

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"  # a db of our own, keys namespaced per test run


async def test_memory_cache_returns_what_was_set_and_nothing_else() -> None:
    cache = MemoryCache()
    await cache.set("k1", '{"deal_id": "9001"}')
    assert await cache.get("k1") == '{"deal_id": "9001"}'
    assert await cache.get("k2") is None


async def test_memory_cache_entries_expire_after_their_ttl() -> None:
    cache = MemoryCache(ttl_s=0.2)
    await cache.set("k", "v")
    assert await cache.get("k") == "v"
    await asyncio.sleep(0.3)
    assert await cache.get("k") is None


async def test_setting_again_renews_the_ttl() -> None:
    cache = MemoryCache(ttl_s=0.3)
    await cache.set("k", "old")
    await asyncio.sleep(0.2)
    await cache.set("k", "new")
    await asyncio.sleep(0.2)  # 0.4 s after the first set, 0.2 s after the second
    assert await cache.get("k") == "new"


async def test_memory_cache_evicts_the_least_recently_used_entry() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", "1")
    await cache.set("b", "2")
    assert await cache.get("a") == "1"  # a is now more recent than b
    await cache.set("c", "3")
    assert await cache.get("b") is None
    assert await cache.get("a") == "1" and await cache.get("c") == "3"
    assert len(cache.entries) == 2


async def test_memory_cache_never_holds_more_than_max_entries() -> None:
    cache = MemoryCache(max_entries=3)
    for i in range(10):
        await cache.set(f"k{i}", str(i))
    assert list(cache.entries) == ["k7", "k8", "k9"]


def test_make_cache_picks_redis_only_when_a_url_is_given() -> None:
    assert isinstance(make_cache(None), MemoryCache)
    assert isinstance(make_cache(REDIS_TEST_URL), RedisCache)


@pytest.fixture
async def redis_cache() -> AsyncIterator[RedisCache]:
    import redis.asyncio as redis

    probe = redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5)
    try:
        await probe.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    finally:
        await probe.aclose()
    cache = RedisCache(REDIS_TEST_URL, ttl_s=120)
    yield cache
    await cache.client.aclose()


async def test_redis_cache_round_trip_with_the_ttl_set(redis_cache: RedisCache) -> None:
    key = f"test-{uuid.uuid4().hex}"
    value = '{"summary": "Ana asked about pricing — €12k"}'
    try:
        assert await redis_cache.get(key) is None
        await redis_cache.set(key, value)
        assert await redis_cache.get(key) == value
        ttl = await redis_cache.client.ttl(f"insights:{key}")
        assert 0 < ttl <= 120
        assert await redis_cache.client.get(key) is None  # stored under the insights: prefix only
    finally:
        await redis_cache.client.delete(f"insights:{key}")


async def test_two_redis_caches_on_one_url_share_entries(redis_cache: RedisCache) -> None:
    key = f"test-{uuid.uuid4().hex}"
    other = RedisCache(REDIS_TEST_URL)
    try:
        await redis_cache.set(key, "shared")
        assert await other.get(key) == "shared"
    finally:
        await redis_cache.client.delete(f"insights:{key}")
        await other.client.aclose()


async def test_a_miss_is_never_remembered_an_entry_set_elsewhere_is_seen_at_once(
    redis_cache: RedisCache,
) -> None:
    key = f"test-{uuid.uuid4().hex}"
    other = RedisCache(REDIS_TEST_URL)  # another API process
    try:
        assert await redis_cache.get(key) is None
        await other.set(key, "built elsewhere")
        assert await redis_cache.get(key) == "built elsewhere"
    finally:
        await redis_cache.client.delete(f"insights:{key}")
        await other.client.aclose()


async def test_an_entry_read_a_moment_ago_is_answered_without_a_round_trip_for_near_s(
    redis_cache: RedisCache,
) -> None:
    key = f"test-{uuid.uuid4().hex}"
    reader = RedisCache(REDIS_TEST_URL, near_s=0.3)
    try:
        await redis_cache.set(key, "first")
        assert await reader.get(key) == "first"
        await redis_cache.set(key, "rebuilt")  # refresh=true on another process, same key
        await redis_cache.client.delete(f"insights:{key}")  # and gone from Redis meanwhile
        assert await reader.get(key) == "first"  # remembered: no round trip
        await asyncio.sleep(0.35)
        assert await reader.get(key) is None  # asked Redis again
    finally:
        await redis_cache.client.delete(f"insights:{key}")
        await reader.client.aclose()


async def test_the_remembered_entries_are_bounded(redis_cache: RedisCache) -> None:
    keys = [f"test-{uuid.uuid4().hex}" for _ in range(5)]
    small = RedisCache(REDIS_TEST_URL, near_entries=3)
    try:
        for k in keys:
            await small.set(k, k)
        assert small.near is not None and len(small.near.entries) <= 3
        assert [await small.get(k) for k in keys] == keys  # whatever was dropped is read again
    finally:
        for k in keys:
            await redis_cache.client.delete(f"insights:{k}")
        await small.client.aclose()
