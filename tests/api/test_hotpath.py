"""The cached insight read ahead of FastAPI (``api/hotpath.py``), over real HTTP: the app served by
uvicorn on a loopback port, the test database (SQLite, or PostgreSQL under ``-m db``).

A hit is the route's answer byte for byte, without a database session; anything that could change
the answer (permissions, readability, the user, the token) takes the route, which answers as before.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import uvicorn
from fastapi import FastAPI
from prometheus_client import REGISTRY

from api.app import create_app
from insights.core.config import Settings
from insights.core.tokens import mint_token
from tests.insight.test_permission_regressions import NOW, account, load


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_app(settings)
    app.state.insights.clock = lambda: NOW  # the account's activities are dated from NOW
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client, app
    finally:
        server.should_exit = True
        await task


def count_sessions(app: FastAPI) -> Callable[[], int]:
    """Counts the database sessions the app opens from now on."""
    opened = 0
    make = app.state.sessionmaker

    def counting() -> Any:
        nonlocal opened
        opened += 1
        return make()

    app.state.sessionmaker = counting
    return lambda: opened


def requests_counted() -> float:
    labels = {"method": "GET", "route": "/v1/deals/{deal_id}/insights", "status": "200"}
    return REGISTRY.get_sample_value("insights_http_requests_total", labels) or 0.0


def bearer(settings: Settings, user: str, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, user, 'p1', **kw)}"}


async def test_a_hit_is_the_routes_bytes_without_a_session(sessionmaker, settings: Settings) -> None:
    await load(sessionmaker, account())
    async with served(settings) as (c, app):
        alma = bearer(settings, "u1")
        built = await c.get("/v1/deals/d1/insights", headers=alma)
        assert built.status_code == 200 and built.json()["cached"] is False
        sessions = count_sessions(app)
        counted = requests_counted()
        hit = await c.get("/v1/deals/d1/insights", headers=alma)
        assert hit.status_code == 200 and hit.json()["cached"] is True
        assert sessions() == 0  # no session, no transaction, no commit
        # a query string always takes the route: its hit (through a session) is the same answer
        routed = await c.get("/v1/deals/d1/insights?refresh=false", headers=alma)
        assert sessions() == 1
        assert hit.content == routed.content
        assert hit.headers["content-type"] == routed.headers["content-type"] == "application/json"
        assert hit.headers["content-length"] == routed.headers["content-length"]
        assert requests_counted() == counted + 2  # the metrics label the hit with the route


async def test_a_hit_is_not_served_once_the_viewer_may_see_less(sessionmaker, settings: Settings) -> None:
    doc = account()
    await load(sessionmaker, doc)
    async with served(settings) as (c, _app):
        alma = bearer(settings, "u1")
        for _ in range(2):
            got = (await c.get("/v1/deals/d1/insights", headers=alma)).json()
        assert got["cached"] and "e-private" in str(got)

        # she loses her email scope: the next answer is rebuilt without her email
        doc["permission_sets"].append({"id": "no-email", "scopes": {"deal": "all", "note": "all"}})
        doc["owners"][0]["permissionSetId"] = "no-email"
        await load(sessionmaker, doc)
        for _ in range(2):
            got = (await c.get("/v1/deals/d1/insights", headers=alma)).json()
            assert "e-private" not in str(got) and "Alma only" not in str(got)
        assert got["cached"]

        # she loses the deals: no cached answer, not found
        doc["permission_sets"][-1]["scopes"]["deal"] = "none"
        await load(sessionmaker, doc)
        assert (await c.get("/v1/deals/d1/insights", headers=alma)).status_code == 404

        # the deal is archived: Bo, who saw it a moment ago from the cache, no longer does
        bo = bearer(settings, "u2")
        for _ in range(2):
            assert (await c.get("/v1/deals/d2/insights", headers=bo)).json()["cached"] in (False, True)
        doc["deals"][1]["archived"] = True
        await load(sessionmaker, doc)
        assert (await c.get("/v1/deals/d2/insights", headers=bo)).status_code == 404

        # Bo is archived: his token no longer admits him
        doc["owners"][1]["archived"] = True
        await load(sessionmaker, doc)
        assert (await c.get("/v1/deals/d1/insights", headers=bo)).status_code == 401


async def test_an_expired_or_altered_token_is_refused_after_a_hit(sessionmaker, settings: Settings) -> None:
    await load(sessionmaker, account())
    async with served(settings) as (c, _app):
        token = mint_token(settings, "u1", "p1", ttl_s=2)
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(2):
            got = await c.get("/v1/deals/d1/insights", headers=headers)
        assert got.status_code == 200 and got.json()["cached"]
        # the same claims signed with another key, and the token with a signature byte changed
        other = jwt.encode(jwt.decode(token, options={"verify_signature": False}), "x" * 32, "HS256")
        altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        for bad in (other, altered):
            r = await c.get("/v1/deals/d1/insights", headers={"Authorization": f"Bearer {bad}"})
            assert r.status_code == 401
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.05)
        assert (await c.get("/v1/deals/d1/insights", headers=headers)).status_code == 401


async def test_a_read_that_cannot_run_takes_the_route(sessionmaker, settings: Settings) -> None:
    await load(sessionmaker, account())
    async with served(settings) as (c, app):
        alma = bearer(settings, "u1")
        for _ in range(2):
            first = await c.get("/v1/deals/d1/insights", headers=alma)
        await app.state.hits.reader.close()  # the read-only connection is gone (closed, or the pool)
        sessions = count_sessions(app)
        again = await c.get("/v1/deals/d1/insights", headers=alma)
        assert again.status_code == 200 and again.content == first.content  # the route's hit
        assert sessions() == 1


async def test_a_team_scoped_viewer_is_served_without_a_session_until_they_leave_the_team(
    sessionmaker, settings: Settings
) -> None:
    """A team scope puts the team's owner set into the hit's statement (one bound array): the
    door still takes it; once Cy leaves Alma's team, the deal Alma owns is no longer his to read."""
    doc = account()
    doc["teams"] = [{"id": "t1", "name": "T1", "parentTeamId": None}]
    doc["permission_sets"].append({"id": "team", "scopes": {"deal": "team", "note": "team"}})
    doc["owners"][0]["teams"] = [{"id": "t1", "primary": True}]
    doc["owners"].append(
        {"id": "u3", "email": "cy@seller.test", "firstName": "Cy", "permissionSetId": "team",
         "teams": [{"id": "t1", "primary": True}]}
    )  # fmt: skip
    await load(sessionmaker, doc)
    async with served(settings) as (c, app):
        cy = bearer(settings, "u3")
        assert (await c.get("/v1/deals/d1/insights", headers=cy)).json()["cached"] is False
        sessions = count_sessions(app)
        hit = await c.get("/v1/deals/d1/insights", headers=cy)
        assert hit.status_code == 200 and hit.json()["cached"] is True
        assert sessions() == 0  # served ahead of the route, team scope and all

        doc["owners"][-1]["teams"] = []
        await load(sessionmaker, doc)
        assert (await c.get("/v1/deals/d1/insights", headers=cy)).status_code == 404
