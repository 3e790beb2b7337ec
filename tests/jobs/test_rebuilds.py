"""Rebuilds and freshness through the whole service over HTTP, on the real engine: an import queues
the rebuild of recently viewed insights so the next open is a hit; while it runs the previous
insight is served ``stale`` only when an activity was added, never when one was hidden or a
permission narrowed (then ``building``, data only, with nothing the viewer can no longer see)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from api.app import create_app
from insights.core.config import Settings
from insights.core.tokens import mint_token
from insights.jobs.embedded import start_consumer, stop_consumer
from tests.conftest import DEMO_NOW
from tests.crm.helpers import change, demo_record
from tests.http import ai_settings, auth
from tests.llm_fakes import URL, scripted

DEAL, ANA = "9001", "101"
NEW_NOTE = {
    "id": "n-added",
    "properties": {
        "hs_timestamp": "2026-11-20T10:00:00Z",
        "hubspot_owner_id": ANA,
        "hs_note_body": "Buyer asked for a two-week pilot.",
    },
    "associations": {
        "deals": [{"toObjectId": 9001, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 214}]}]
    },
}
# Ben's note on the deal, reassigned to Diego (another team): Ana's team scope no longer admits it
NOTE_AWAY = change(demo_record("notes", "n-9001-1"), hubspot_owner_id="104")
NOTES_OWNED = {  # the rep permission set narrowed: notes by owner only (Ben's note leaves Ana's view)
    "id": "rep",
    "name": "Sales rep",
    "scopes": {
        "deal": "team",
        "contact": "team",
        "company": "all",
        "lead": "owned",
        "task": "owned",
        "email": "owned",
        "call": "team",
        "meeting": "team",
        "note": "owned",
    },
    "unassigned": ["company", "contact"],
}


class SlowModel:
    """The scripted model behind respx, slowed for the worker only once ``slow`` is set, so the API
    is asked while the rebuild runs."""

    def __init__(self) -> None:
        self.slow = threading.Event()
        self.calls = 0
        self.answer = scripted()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.slow.is_set():
            time.sleep(1.5)
        return self.answer(request)


@pytest.fixture
async def world(demo, jobs_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any, SlowModel]]:
    settings = ai_settings(
        jobs_settings, jobs_in_process=True, model_timeout_s=10.0, model_total_budget_s=20.0
    )
    model = SlowModel()
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=model)
        app = create_app(settings)
        app.state.insights.clock = lambda: DEMO_NOW
        async with app.router.lifespan_context(app):
            app.state.jobs_consumer = start_consumer(app.state.jobs, workers=2, periodic=False)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                client.headers.update(auth(settings, ANA))
                yield client, app, model
            await asyncio.to_thread(stop_consumer, app.state.jobs_consumer)


async def ask(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get(f"/v1/deals/{DEAL}/insights")
    assert r.status_code == 200
    return r.json()


async def import_batch(client: httpx.AsyncClient, app: Any, batch: dict[str, Any]) -> None:
    token = mint_token(app.state.settings, None, "demo", scope="import")
    r = await client.post(
        "/v1/crm/import",
        content=json.dumps({"account": {"id": "demo"}, **batch}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["rejected_count"] == 0, r.text


async def until(check: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "timed out waiting for the background rebuild"
        await asyncio.sleep(0.05)


def pending(app: Any) -> Any:
    return lambda: app.state.jobs.pending("demo", DEAL, ANA)


def cached(app: Any) -> Any:
    async def check() -> bool:
        from insights.permissions.viewer import load_viewer

        async with app.state.sessionmaker() as s:
            viewer = await load_viewer(s, "demo", ANA)
            assert viewer is not None
            return bool(await app.state.insights.is_cached(s, DEAL, viewer, DEMO_NOW))

    return check


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
