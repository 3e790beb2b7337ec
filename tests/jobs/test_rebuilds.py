"""Rebuilds and freshness through the whole service over HTTP, on the real engine: an import queues
the rebuild of recently viewed insights so the next open is a hit; while it runs the previous
insight is served ``stale`` only when an activity was added, never when one was hidden or a
permission narrowed (then ``building``, data only, with nothing the viewer can no longer see)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from insights.core.config import Settings
from tests.jobs.helpers import (
    NEW_NOTE,
    NOTE_AWAY,
    NOTES_OWNED,
    ask,
    cached,
    import_batch,
    pending,
    until,
    world_for,
)


@pytest.fixture
async def world(demo, jobs_settings: Settings) -> AsyncIterator[Any]:
    async for w in world_for(jobs_settings):
        yield w


async def test_an_import_rebuilds_the_viewed_insight_and_the_next_open_is_a_hit(world) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    first = await ask(client)
    assert first["status"] == "ai" and first["freshness"] == "fresh"
    await import_batch(client, app, {"notes": [NEW_NOTE]})
    await until(cached(app))  # the worker rebuilt it, with no request asking
    calls = model.calls
    again = await ask(client)
    assert again["cached"] is True and again["freshness"] == "fresh" and model.calls == calls
    assert "n-added" in {i["activity_id"] for i in again["recent_activity"]["items"]}


async def test_while_rebuilding_an_added_activity_serves_the_previous_insight_stale(world) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    first = await ask(client)
    model.slow.set()
    await import_batch(client, app, {"notes": [NEW_NOTE]})
    await until(pending(app))
    stale = await ask(client)
    assert stale["freshness"] == "stale" and stale["insight_id"] == first["insight_id"]
    await until(cached(app))
    fresh = await ask(client)
    assert fresh["freshness"] == "fresh" and fresh["insight_id"] != first["insight_id"]


@pytest.mark.parametrize(
    "batch",
    [{"notes": [NOTE_AWAY]}, {"permission_sets": [NOTES_OWNED]}],
    ids=["activity reassigned away", "permission narrowed"],
)
async def test_while_rebuilding_a_narrowed_view_is_never_served_stale(world, batch) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    first = await ask(client)
    assert "n-9001-1" in json.dumps(first)  # Ben's note is in Ana's insight before the change
    model.slow.set()
    await import_batch(client, app, batch)
    await until(pending(app))
    interim = await ask(client)
    assert interim["freshness"] == "building" and interim["status"] == "data_only"
    assert "n-9001-1" not in json.dumps(interim) and "questionnaire" not in json.dumps(interim)
    await until(cached(app))
    fresh = await ask(client)
    assert fresh["freshness"] == "fresh" and "n-9001-1" not in json.dumps(fresh)
