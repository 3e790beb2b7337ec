"""``insights serve``'s app factory leaves its start-up objects out of Python's full collections
once started (``insights/core/heap.py``); a plain ``create_app`` (tests, embedders) does not. Each in
a subprocess: freezing is for the life of a process."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import asyncio, gc, sys
from api.app import create_app, serve_app

async def main(factory):
    app = serve_app() if factory == "serve" else create_app()
    async with app.router.lifespan_context(app):
        print(gc.get_freeze_count())

asyncio.run(main(sys.argv[1]))
"""


def frozen_after_start(factory: str, database_url: str) -> int:
    env = {**os.environ, "DATABASE_URL": database_url, "INSIGHTS_ENV": "development"}
    env.pop("INSIGHTS_MODEL", None)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, factory], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip().splitlines()[-1])


def test_the_serve_factory_settles_the_heap_and_create_app_does_not(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}"
    assert frozen_after_start("serve", url) > 10_000  # the imported modules at least
    assert frozen_after_start("plain", url) == 0
