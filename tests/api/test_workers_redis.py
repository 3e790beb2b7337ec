"""``insights serve --workers 2`` with the shared Redis cache: a hit is never served to a viewer whose
visibility changed, whichever worker answers.

The real command in a subprocess (two uvicorn worker processes, each with its own viewer cache and
statement memo, one Redis), on the test database (SQLite, or PostgreSQL under ``-m db``). Each
request opens a new connection, so the kernel spreads them over both workers.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from insights.core.config import Settings
from insights.core.db import make_sessionmaker
from insights.core.tokens import mint_token
from tests.insight.test_permission_regressions import account, load

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
ROUNDS = 30  # requests per phase, each on a fresh connection


def _free_port() -> int:
    for port in range(8150, 8200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8150-8199")


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        pytest.skip("Redis is not reachable")
    try:
        yield REDIS_URL
    finally:
        for key in client.scan_iter("insights:*"):  # our entries only: the db may be shared
            client.delete(key)
        client.close()


def _serve(database_url: str, redis_url: str, key: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "INSIGHTS_ENV": "development",
        "INSIGHTS_TOKEN_KEY": key,
        "INSIGHTS_LOG_LEVEL": "WARNING",
    }
    env.pop("INSIGHTS_MODEL", None)
    cmd = [sys.executable, "-c", "from insights.cli import app; app()", "serve", "--workers", "2"]
    proc = subprocess.Popen([*cmd, "--port", str(port), "--no-access-log"], env=env, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"insights serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("insights serve did not become ready")


def _answers(port: int, token: str) -> list[dict[str, Any]]:
    out = []
    for _ in range(ROUNDS):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:  # a new connection
            r = c.get("/v1/deals/d1/insights", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


async def test_two_workers_with_redis_never_serve_a_hit_after_a_visibility_change(
    engine: AsyncEngine, database_url: str, redis_url: str
) -> None:
    doc = account(canary="CANARYW")
    sm = make_sessionmaker(engine)
    await load(sm, doc)
    key = secrets.token_urlsafe(48)
    token = mint_token(Settings(INSIGHTS_ENV="development", INSIGHTS_TOKEN_KEY=key), "u1", "p1")
    port = _free_port()
    proc = _serve(database_url, redis_url, key, port)
    try:
        before = _answers(port, token)
        # Alma sees her private email, and the shared cache answers her from the second request on
        assert all(
            any(i["activity_id"] == "e-private" for i in a["recent_activity"]["items"]) for a in before
        )
        assert (
            not before[0]["cached"] and sum(a["cached"] for a in before) == ROUNDS - 1
        )  # built once, shared

        # a visibility change, written by an import in another process: Alma loses her email scope
        doc["permission_sets"].append(
            {"id": "no-email", "scopes": {"deal": "all", "note": "all", "email": "none"}}
        )
        doc["owners"][0]["permissionSetId"] = "no-email"
        await load(sm, doc)

        after = _answers(port, token)
        for a in after:
            assert "e-private" not in str(a) and "Alma only" not in str(a)  # no entry built before the change
            assert {i["activity_id"] for i in a["recent_activity"]["items"]} == {"n1", "n3"}
        assert (
            not after[0]["cached"] and sum(a["cached"] for a in after) == ROUNDS - 1
        )  # rebuilt once, shared
    finally:
        proc.terminate()
        proc.wait(30)
