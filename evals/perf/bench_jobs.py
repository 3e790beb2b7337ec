"""Time from an import to "every recently viewed insight rebuilt", on the real job engine (Huey,
a SQLite queue, thread workers) against the local mock model (300 ms per call), 1 and 2 workers.

    python -m evals.perf.bench_jobs [--deals 100] [--delay 0.3] [--workers 1 2]

An account with N deals (three notes each) whose insights one rep has viewed; an import then adds
a note to every deal (every timeline version moves); the clock runs from the import's commit until
the rep's insight of every deal is in the cache again (the next open is a hit).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from typing import Any

os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

import insights  # noqa: E402,F401
from evals.perf.mock_model import serve_in_thread  # noqa: E402
from insights.core.config import Settings  # noqa: E402
from insights.core.db import make_engine, make_sessionmaker  # noqa: E402
from insights.core.schema import create_schema  # noqa: E402
from insights.crm.importer import import_records  # noqa: E402
from insights.crm.reader import iter_document  # noqa: E402
from insights.insight.service import InsightService  # noqa: E402
from insights.jobs import Jobs  # noqa: E402
from insights.jobs.embedded import start_consumer, stop_consumer  # noqa: E402
from insights.permissions import load_viewer  # noqa: E402

P, REP = "bench", "1"
EVERYTHING = dict.fromkeys(
    ["deal", "contact", "company", "lead", "task", "email", "call", "meeting", "note"], "all"
)


def note(nid: str, deal: str, hour: int) -> dict[str, Any]:
    return {
        "id": nid,
        "properties": {
            "hs_timestamp": f"2026-11-19T{hour:02d}:00:00Z",
            "hubspot_owner_id": REP,
            "hs_note_body": f"Call notes {nid}: the buyer asked about pricing and the rollout plan.",
        },
        "associations": {"deals": [{"toObjectId": deal, "associationTypes": [{"typeId": 214}]}]},
    }


def account(deals: int) -> dict[str, Any]:
    return {
        "account": {"id": P, "name": "Bench"},
        "pipelines": [
            {
                "id": "default",
                "label": "Sales",
                "stages": [
                    {"id": "open", "label": "Open", "displayOrder": 0},
                    {"id": "won", "label": "Won", "displayOrder": 1, "metadata": {"isClosed": "true"}},
                ],
            }
        ],
        "permission_sets": [{"id": "all", "name": "All", "scopes": EVERYTHING, "unassigned": []}],
        "owners": [{"id": REP, "email": "rep@bench.example", "permissionSetId": "all"}],
        "deals": [
            {
                "id": str(d),
                "properties": {"dealname": f"Deal {d}", "dealstage": "open", "hubspot_owner_id": REP},
            }
            for d in range(1, deals + 1)
        ],
        "notes": [note(f"n{d}-{i}", str(d), 8 + i) for d in range(1, deals + 1) for i in range(3)],
    }


async def run(settings: Settings, deals: int, workers: int) -> float:
    engine = make_engine(settings.database_url)
    sm = make_sessionmaker(engine)
    service = InsightService(settings)
    ids = [str(d) for d in range(1, deals + 1)]
    async with sm() as s:  # the rep views every deal: the insights to keep fresh
        viewer = await load_viewer(s, P, REP)
        assert viewer is not None
        for d in ids:
            await service.insight_for(s, d, viewer)
        await s.commit()
        tag = uuid.uuid4().hex[:6]
        batch = {"account": {"id": P}, "notes": [note(f"x{tag}-{d}", d, 11) for d in ids]}
        await import_records(s, iter_document(batch))
        await s.commit()
    jobs = Jobs(settings, cache=service.cache)
    consumer = start_consumer(jobs, workers=workers, periodic=False)
    started = time.perf_counter()
    await jobs.after_change(P)
    waiting = list(ids)
    while waiting:  # poll lightly: a busy poll would compete with the workers for the database
        await asyncio.sleep(0.25)
        async with sm() as s:
            waiting = [d for d in waiting if not await service.is_cached(s, d, viewer, service.clock())]
    seconds = time.perf_counter() - started
    await asyncio.to_thread(stop_consumer, consumer)
    jobs.close()
    await engine.dispose()
    return seconds


async def main(deals: int, delay: float, workers: list[int], port: int) -> None:
    serve_in_thread(port, delay)
    tmp = tempfile.mkdtemp()
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db",
        INSIGHTS_ENV="development",
        INSIGHTS_MODEL="openai/mock",
        INSIGHTS_MODEL_API_BASE=f"http://127.0.0.1:{port}/v1",
        INSIGHTS_MODEL_API_KEY="sk-local",
        INSIGHTS_MODEL_CONTEXT_TOKENS=128000,
        INSIGHTS_JOBS="sqlite",
        INSIGHTS_JOBS_URL=f"{tmp}/jobs.db",
        INSIGHTS_REBUILD_CALLS_PER_HOUR=100_000,
    )
    engine = make_engine(settings.database_url)
    await create_schema(engine)
    async with make_sessionmaker(engine)() as s:
        await import_records(s, iter_document(account(deals)))
        await s.commit()
    await engine.dispose()
    print(
        f"import → all {deals} recently viewed insights rebuilt (mock model {delay * 1000:.0f} ms per call)"
    )
    for n in workers:
        seconds = await run(settings, deals, n)
        print(f"  {n} worker thread(s): {seconds:.1f} s ({deals / seconds:.1f} insights/s)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--deals", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.3)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--port", type=int, default=8251)
    args = ap.parse_args()
    asyncio.run(main(args.deals, args.delay, args.workers, args.port))
