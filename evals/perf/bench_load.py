"""Load over loopback: the real server (``insights serve``) against a bare FastAPI floor, both driven
by wrk from a separate process; then a burst of concurrent feedback, checking that every 2xx answer
is a stored row.

The floor (``evals/perf/floor_app.py``) answers the very bytes the server answered, for the same
paths and tokens, from a dict: what is left between the two is the service's own cost (auth, the
version reads, the cache). Both run under the same uvicorn settings (no access log) and the same
number of workers, one after the other in the same run.

    python -m evals.perf.bench_load [--seconds 10] [--connections 50] [--workers 1]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench] [--redis-url redis://127.0.0.1:6379/1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

import insights  # noqa: F401
from evals.perf.common import show
from insights.core.config import Settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.tokens import mint_token
from insights.insight.store import InsightFeedback

PAIRS = [("101", "9001"), ("102", "9001"), ("101", "9005"), ("103", "9005"), ("104", "9004"), ("102", "9003")]
INSIGHTS = [sys.executable, "-c", "from insights.cli import app; app()"]  # the `insights` command
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class WrkResult:
    req_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx answers and socket errors
    cpu_ms_per_req: float = 0.0  # the server's processes: steadier than req/s on shared cores


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (uvicorn's workers), from /proc."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        parent[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(t for pid, t in ticks.items() if under(pid)) / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if m is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out: str) -> WrkResult:
    def grab(pattern: str) -> str:
        m = re.search(pattern, out)
        if m is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{out}")
        return m.group(1)

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        req_per_s=float(grab(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(grab(r"\n\s+50%\s+(\S+)")),
        p99_ms=_ms(grab(r"\n\s+99%\s+(\S+)")),
        requests=int(grab(r"(\d+) requests in")),
        bad=(int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    )


def wrk_script(tokens: dict[str, str], path: Path) -> None:
    """A Lua script cycling through the (user, deal) pairs, one pre-formatted request each."""
    rows = ",\n".join(
        f'  wrk.format("GET", "/v1/deals/{d}/insights", {{Authorization = "Bearer {tokens[u]}"}})'
        for u, d in PAIRS
    )
    path.write_text(
        "local reqs\nlocal i = 0\n"
        f"init = function(args)\n reqs = {{\n{rows}\n }}\nend\n"
        "request = function()\n i = i % #reqs + 1\n return reqs[i]\nend\n",
        encoding="utf-8",
    )


def run_wrk(
    base: str, script: Path, threads: int, connections: int, seconds: float, server: int
) -> WrkResult:
    cpu = tree_cpu_s(server)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = parse_wrk(out)
    result.cpu_ms_per_req = (tree_cpu_s(server) - cpu) * 1000 / max(result.requests, 1)
    return result


async def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                if (await c.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def feedback_burst(base: str, token: str, clients: int, feedback: int, settings: Settings) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as c:
        insight = (await c.get("/v1/deals/9001/insights", headers=headers)).json()
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as s:
            before = await s.scalar(select(func.count()).select_from(InsightFeedback)) or 0
        sem = asyncio.Semaphore(clients)
        ok = 0

        async def give(i: int) -> None:
            nonlocal ok
            async with sem:
                r = await c.post(
                    f"/v1/insights/{insight['insight_id']}/feedback",
                    headers=headers,
                    json={"rating": "helpful" if i % 2 else "not_helpful", "comment": f"run {i}"},
                )
                ok += 200 <= r.status_code < 300

        started = time.perf_counter()
        await asyncio.gather(*(give(i) for i in range(feedback)))
        elapsed = time.perf_counter() - started
    async with make_sessionmaker(engine)() as s:
        stored = (await s.scalar(select(func.count()).select_from(InsightFeedback)) or 0) - before
    await engine.dispose()
    show(
        f"concurrent feedback, {clients} clients",
        {"sent": feedback, "2xx": ok, "stored": stored, "per_s": feedback / elapsed},
    )
    if stored != ok:
        raise SystemExit(f"LOST FEEDBACK: {ok} acknowledged, {stored} stored")


async def main(a: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp())
    db = a.database_url or f"sqlite:///{tmp}/load.db"
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "INSIGHTS_ENV": "development",
        "INSIGHTS_TOKEN_KEY": secrets.token_urlsafe(48),
        "INSIGHTS_LOG_LEVEL": "WARNING",
    }
    env.pop("INSIGHTS_MODEL", None)
    env.pop("REDIS_URL", None)
    if a.redis_url:
        env["REDIS_URL"] = a.redis_url
    subprocess.run([*INSIGHTS, "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
    settings = Settings(
        DATABASE_URL=db, INSIGHTS_ENV="development", INSIGHTS_TOKEN_KEY=env["INSIGHTS_TOKEN_KEY"]
    )
    tokens = {u: mint_token(settings, u, "demo") for u, _ in PAIRS}
    script = tmp / "pairs.lua"
    wrk_script(tokens, script)
    label = f"{a.workers} worker(s), {'PostgreSQL' if db.startswith('postgresql') else 'SQLite'}"
    label += ", Redis cache" if a.redis_url else ", in-process cache"

    base = f"http://127.0.0.1:{a.port}"
    serve = [*INSIGHTS, "serve", "--port", str(a.port), "--workers", str(a.workers)]
    server = start([*serve, "--no-access-log"], env)
    try:
        await wait_ready(base, server)
        bodies: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=base, timeout=60) as c:
            for u, d in PAIRS:  # build and cache each insight once; the floor answers these bytes
                for _ in range(2):
                    r = await c.get(
                        f"/v1/deals/{d}/insights", headers={"Authorization": f"Bearer {tokens[u]}"}
                    )
                    r.raise_for_status()
                bodies[f"{d} {tokens[u]}"] = r.text
        # a short warm-up so every worker has resolved its viewers and opened its connections
        run_wrk(base, script, a.threads, a.connections, 2, server.pid)
        real = run_wrk(base, script, a.threads, a.connections, a.seconds, server.pid)
        if a.feedback:
            await feedback_burst(base, tokens["101"], a.connections, a.feedback, settings)
    finally:
        stop(server)

    (tmp / "floor.json").write_text(json.dumps(bodies), encoding="utf-8")
    floor_cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "evals.perf.floor_app:create_floor",
        "--port", str(a.port + 1), "--workers", str(a.workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    floor_proc = start(floor_cmd, {**env, "FLOOR_DATA": str(tmp / "floor.json")})
    floor_base = f"http://127.0.0.1:{a.port + 1}"
    try:
        await wait_ready(floor_base, floor_proc)
        run_wrk(floor_base, script, a.threads, a.connections, 2, floor_proc.pid)
        floor = run_wrk(floor_base, script, a.threads, a.connections, a.seconds, floor_proc.pid)
    finally:
        stop(floor_proc)

    size = sum(len(b) for b in bodies.values()) / len(bodies)
    title = f"wrk -t{a.threads} -c{a.connections} -d{a.seconds:.0f}s, {label}, {size / 1000:.1f} KB bodies"
    print(title)
    for name, res in (("cached insight (insights serve)", real), ("floor (bare FastAPI, same bytes)", floor)):
        figures = {
            "req_per_s": res.req_per_s,
            "p50_ms": res.p50_ms,
            "p99_ms": res.p99_ms,
            "cpu_ms_per_req": res.cpu_ms_per_req,
        }
        show(f"  {name}", {**figures, "bad": res.bad})
    show(
        "  ratio served/floor",
        {
            "req_per_s": real.req_per_s / floor.req_per_s,
            "p99": real.p99_ms / floor.p99_ms,
            "cpu_per_req": real.cpu_ms_per_req / floor.cpu_ms_per_req,
        },
    )
    if real.bad or floor.bad:
        raise SystemExit(f"non-2xx answers or socket errors: server {real.bad}, floor {floor.bad}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    p.add_argument("--redis-url", default=None, help="the shared insight cache (default: in-process)")
    p.add_argument("--feedback", type=int, default=1000, help="feedback posts after the load (0: none)")
    p.add_argument("--port", type=int, default=8100, help="the server's; the floor uses the next one")
    asyncio.run(main(p.parse_args()))
