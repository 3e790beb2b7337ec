"""Load over loopback: a real server process, 50 concurrent clients, cached insights; then a burst of
concurrent feedback, checking that every 2xx answer is a stored row.

    python -m evals.perf.bench_load [--clients 50] [--seconds 15] [--feedback 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import httpx
from sqlalchemy import func, select

import insights  # noqa: F401
from evals.perf.common import percentiles, show
from insights.core.config import Settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.tokens import mint_token
from insights.insight.store import InsightFeedback

PAIRS = [("101", "9001"), ("102", "9001"), ("101", "9005"), ("103", "9005"), ("104", "9004"), ("102", "9003")]


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(200):
            try:
                if (await c.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def main(clients: int, seconds: float, feedback: int, port: int) -> None:
    db = f"sqlite:///{tempfile.mkdtemp()}/load.db"
    env = {**os.environ, "DATABASE_URL": db, "INSIGHTS_ENV": "development", "INSIGHTS_LOG_LEVEL": "WARNING"}
    env.pop("INSIGHTS_MODEL", None)
    subprocess.run(
        [sys.executable, "-m", "insights.cli", "demo", "--no-serve"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base)
        settings = Settings(DATABASE_URL=db, INSIGHTS_ENV="development")
        tokens = {u: mint_token(settings, u, "demo") for u, _ in PAIRS}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as c:
            for u, d in PAIRS:  # warm the cache
                await c.get(f"/v1/deals/{d}/insights", headers={"Authorization": f"Bearer {tokens[u]}"})
            times: list[float] = []
            errors = 0
            stop = time.perf_counter() + seconds

            async def client(i: int) -> None:
                nonlocal errors
                n = i
                while time.perf_counter() < stop:
                    u, d = PAIRS[n % len(PAIRS)]
                    n += 1
                    t = time.perf_counter()
                    r = await c.get(
                        f"/v1/deals/{d}/insights", headers={"Authorization": f"Bearer {tokens[u]}"}
                    )
                    times.append((time.perf_counter() - t) * 1000)
                    errors += r.status_code != 200

            started = time.perf_counter()
            await asyncio.gather(*(client(i) for i in range(clients)))
            elapsed = time.perf_counter() - started
            show(
                f"cached insights, {clients} clients, {seconds:.0f} s",
                {"req_per_s": len(times) / elapsed, **percentiles(times), "errors": errors},
            )

            insight = (
                await c.get("/v1/deals/9001/insights", headers={"Authorization": f"Bearer {tokens['101']}"})
            ).json()
            sem = asyncio.Semaphore(clients)
            ok = 0

            async def give(i: int) -> None:
                nonlocal ok
                async with sem:
                    r = await c.post(
                        f"/v1/insights/{insight['insight_id']}/feedback",
                        headers={"Authorization": f"Bearer {tokens['101']}"},
                        json={"rating": "helpful" if i % 2 else "not_helpful", "comment": f"run {i}"},
                    )
                    ok += 200 <= r.status_code < 300

            started = time.perf_counter()
            await asyncio.gather(*(give(i) for i in range(feedback)))
            elapsed = time.perf_counter() - started
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as s:
            stored = await s.scalar(select(func.count()).select_from(InsightFeedback))
        await engine.dispose()
        show(
            f"concurrent feedback, {clients} clients",
            {"sent": feedback, "2xx": ok, "stored": stored, "per_s": feedback / elapsed},
        )
        if stored != ok:
            raise SystemExit(f"LOST FEEDBACK: {ok} acknowledged, {stored} stored")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--feedback", type=int, default=1000)
    p.add_argument("--port", type=int, default=8597)
    a = p.parse_args()
    asyncio.run(main(a.clients, a.seconds, a.feedback, a.port))
