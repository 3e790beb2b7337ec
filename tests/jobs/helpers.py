"""Shared by the HTTP jobs tests: the demo behind the real app with its consumer running in process,
the scripted model behind respx (slowed or failing on demand), imports, and waits on the engine."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import respx

from api.app import create_app
from insights.core.config import Settings
from insights.core.tokens import mint_token
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
        self.fail = threading.Event()
        self.calls = 0
        self.answer = scripted()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fail.is_set():
            return httpx.Response(500, json={"error": {"message": "down"}})
        if self.slow.is_set():
            time.sleep(1.5)
        return self.answer(request)


async def world_for(
    jobs_settings: Settings, **extra: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any, SlowModel]]:
    settings = ai_settings(
        jobs_settings, jobs_in_process=True, model_timeout_s=10.0, model_total_budget_s=20.0, **extra
    )
    model = SlowModel()
    with respx.mock(assert_all_called=False) as router:
        router.post(URL).mock(side_effect=model)
        app = create_app(settings)
        app.state.insights.clock = lambda: DEMO_NOW
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                client.headers.update(auth(settings, ANA))
                yield client, app, model


async def ask(client: httpx.AsyncClient, deal: str = DEAL) -> dict[str, Any]:
    r = await client.get(f"/v1/deals/{deal}/insights")
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


def pending(app: Any, deal: str = DEAL) -> Any:
    return lambda: app.state.jobs.pending("demo", deal, ANA)


def cached(app: Any, deal: str = DEAL, at: Any = DEMO_NOW) -> Any:
    async def check() -> bool:
        from insights.permissions.viewer import load_viewer

        async with app.state.sessionmaker() as s:
            viewer = await load_viewer(s, "demo", ANA)
            assert viewer is not None
            return bool(await app.state.insights.is_cached(s, deal, viewer, at))

    return check
