"""The real job engine (Huey) for the jobs tests: a SQLite queue file, and Redis db 2 when it answers
(TEST_REDIS_URL), each with a consumer of thread workers started inside the test process."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from insights.core.config import Settings
from tests.guided_actions.conftest import w  # noqa: F401  (the guided-action world, as a fixture)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def jobs_settings(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "redis" and not redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    url = REDIS_URL if request.param == "redis" else str(tmp_path / "jobs.db")
    yield settings.model_copy(
        update={"jobs": request.param, "jobs_url": url, "jobs_name": f"t-{uuid.uuid4().hex[:8]}"}
    )


def wait_for(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the jobs")
        time.sleep(0.05)
