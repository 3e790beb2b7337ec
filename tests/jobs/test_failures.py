"""What the engine does when things go wrong or cost too much: a rebuild whose model keeps failing
is retried with backoff, then parked and counted in /metrics (never retried forever); the hourly
model-call cap stops background rebuilds; with Redis down the API keeps answering. And the insight
of the day is rebuilt ahead of midnight for what was viewed recently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from insights.core.config import Settings
from insights.jobs.models import JobSpend, ParkedJob
from tests.conftest import DEMO_NOW
from tests.http import auth
from tests.jobs.helpers import ANA, DEAL, NEW_NOTE, ask, cached, import_batch, pending, until, world_for


@pytest.fixture
async def world(demo, jobs_settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    extra = getattr(request, "param", {})
    async for w in world_for(jobs_settings, model_max_retries=0, jobs_retry_delay_s=0.05, **extra):
        yield w


async def test_a_rebuild_whose_model_keeps_failing_is_parked_and_counted(world) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    await ask(client)
    model.fail.set()
    calls = model.calls
    await import_batch(client, app, {"notes": [NEW_NOTE]})
    await until(pending(app))

    async def parked() -> list[ParkedJob]:
        async with app.state.sessionmaker() as s:
            return list(await s.scalars(select(ParkedJob)))

    await until(lambda: _nonempty(parked()))
    (job,) = await parked()
    assert job.name == "rebuild_insight" and job.error == "ModelFailed"
    assert job.args.split(",")[:3] == ["demo", DEAL, ANA]  # ids only
    assert model.calls - calls == 4  # the first try and three retries, then no more
    await until(lambda: _not(pending(app)()))
    text = (await client.get("/metrics")).text
    assert "insights_jobs_parked 1.0" in text
    assert 'insights_jobs_total{job="rebuild_insight",outcome="parked"}' in text


async def _nonempty(rows: Any) -> bool:
    return bool(await rows)


async def _not(value: Any) -> bool:
    return not await value


@pytest.mark.parametrize("world", [{"rebuild_calls_per_hour": 1}], indirect=True)
async def test_background_rebuilds_stop_at_the_hourly_model_call_cap(world) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    for deal in ("9001", "9002"):
        assert (await ask(client, deal))["status"] == "ai"
    note = {
        **NEW_NOTE,
        "associations": {
            "deals": [{"toObjectId": d, "associationTypes": [{"typeId": 214}]} for d in (9001, 9002)]
        },
    }
    await import_batch(client, app, {"notes": [note]})
    await until(lambda: _either(cached(app, "9001")(), cached(app, "9002")()))
    await until(lambda: _none_pending(app))
    async with app.state.sessionmaker() as s:
        spent = list(await s.scalars(select(JobSpend.model_calls)))
    assert spent == [1]
    assert [await cached(app, d)() for d in ("9001", "9002")].count(True) == 1


async def _either(a: Any, b: Any) -> bool:
    return bool(await a or await b)


async def _none_pending(app: Any) -> bool:
    return not any([await app.state.jobs.pending("demo", d, ANA) for d in ("9001", "9002")])


async def test_the_insight_of_the_day_is_rebuilt_before_midnight(world) -> None:  # type: ignore[no-untyped-def]
    client, app, model = world
    await ask(client)  # viewed today
    tomorrow = (DEMO_NOW + timedelta(days=1)).replace(hour=0)
    assert not await cached(app, DEAL, tomorrow)()
    app.state.jobs.day_ahead()  # what the 23:40 UTC schedule runs
    await until(cached(app, DEAL, tomorrow))
    app.state.insights.clock = lambda: tomorrow + timedelta(hours=8)
    calls = model.calls
    first_of_the_day = await ask(client)
    assert first_of_the_day["cached"] is True and model.calls == calls


async def test_with_redis_down_the_api_keeps_answering(demo, settings: Settings) -> None:
    down = "redis://127.0.0.1:8299/2"  # nothing listens there
    app = create_app(settings.model_copy(update={"jobs": "redis", "jobs_url": down, "redis_url": down}))
    app.state.insights.clock = lambda: DEMO_NOW
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            client.headers.update(auth(settings, ANA))
            r = await client.get(f"/v1/deals/{DEAL}/insights")
            assert r.status_code == 200 and r.json()["freshness"] == "fresh"
            await import_batch(client, app, {"notes": [NEW_NOTE]})  # the import commits all the same
            again = (await client.get(f"/v1/deals/{DEAL}/insights")).json()
            assert "n-added" in {i["activity_id"] for i in again["recent_activity"]["items"]}
