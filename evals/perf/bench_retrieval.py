"""deal_context latency on a generated account, for viewers with different scopes.

    insights generate /tmp/scale.jsonl --deals 10000 --activities 1000000 --users 200 --seed 1
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scale insights import /tmp/scale.jsonl
    python -m evals.perf.bench_retrieval --database-url postgresql://postgres@127.0.0.1:5432/scale

Prints p50/p95/p99 per viewer role (wall clock, and this process's CPU per call: on shared cores the
wall clock moves with the other processes' load, the CPU much less; with SQLite the CPU includes
the database's own work, with PostgreSQL only the client's) and the plan of the timeline query for
the busiest deal.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
from dataclasses import dataclass, field

from sqlalchemy import event, func, select

import insights  # noqa: F401  (offline defaults)
from evals.perf.common import percentiles, show
from insights.core.config import async_database_url
from insights.core.db import make_engine, make_sessionmaker
from insights.crm import models as m
from insights.insight import timeline
from insights.insight.retrieval import deal_context
from insights.permissions import load_viewer


async def main(
    url: str, account: str, samples: int, seed: int, slowest: int = 0, repeat: int = 5, freeze: bool = False
) -> None:
    engine = make_engine(async_database_url(url))
    sm = make_sessionmaker(engine)
    rnd = random.Random(seed)
    async with sm() as s:
        deals = list((await s.scalars(select(m.Deal.id).where(m.Deal.portal_id == account))).all())
        users = (
            await s.execute(
                select(m.User.id, m.User.permission_set_id, m.User.super_admin).where(
                    m.User.portal_id == account
                )
            )
        ).all()
        busiest = (
            await s.execute(
                select(m.ActivityLink.object_id, func.count())
                .where(m.ActivityLink.portal_id == account, m.ActivityLink.object_type == "deal")
                .group_by(m.ActivityLink.object_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).first()
    if not deals:
        raise SystemExit(f"account {account!r} has no deals: import a generated file first")
    roles = {
        "admin (all)": [u.id for u in users if u.super_admin],
        "manager (team)": [u.id for u in users if u.permission_set_id == "manager"],
        "rep (team/owned)": [u.id for u in users if u.permission_set_id == "rep"],
    }
    print(
        f"{engine.dialect.name}: {len(deals):,} deals, {len(users)} users; busiest deal {busiest[0]} "
        f"({busiest[1]:,} direct activity links)"
    )
    everything: list[float] = []
    if freeze:  # what gc.freeze() after start-up would give: not what ``insights serve`` does
        gc.collect()
        gc.freeze()
    pauses = _full_collections()
    cpu_all: list[float] = []
    sampled: list[tuple[float, str, str, str]] = []  # (cpu ms, role, user, deal)
    for role, ids in roles.items():
        if not ids:
            continue
        times, cpu, visible, built = [], [], 0, 0
        async with sm() as s:
            viewers = {u: await load_viewer(s, account, u) for u in ids}
            for i in range(samples):
                user_id = rnd.choice(ids)
                viewer = viewers[user_id]
                deal = busiest[0] if i % 20 == 0 else rnd.choice(deals)
                kept = len(timeline._BUILT)
                started, used = time.perf_counter(), time.process_time()
                ctx = await deal_context(s, deal, viewer)
                built += len(timeline._BUILT) > kept
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - used) * 1000)
                visible += ctx is not None
                sampled.append((cpu[-1], role, user_id, deal))
        everything += times
        cpu_all += cpu
        # "built": samples that were the process's first use of a statement shape (they build and
        # compile it: tens of ms once per process, scopes and shape)
        show(f"deal_context ms, {role}", {**percentiles(times), "visible": visible, "built": built})
        show(f"  cpu ms, {role}", percentiles(cpu))
    show("deal_context ms, all viewers", percentiles(everything))
    gc.callbacks.remove(pauses.record)
    show("  full garbage collections in the timed loops, ms", percentiles(pauses.ms))
    show("  cpu ms, all viewers", percentiles(cpu_all))
    if slowest:
        await profile(sm, account, sorted(sampled, reverse=True)[:slowest], repeat)
    else:
        await explain(sm, engine.dialect.name, account, busiest[0], roles)
    await engine.dispose()


@dataclass
class _Pauses:
    ms: list[float] = field(default_factory=list)
    started: float = 0.0

    def record(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.ms.append((time.perf_counter() - self.started) * 1000)


def _full_collections() -> _Pauses:
    """Python's full (generation 2) collections from now on: a pause lands on whichever call is
    running, so a tail sample may be one of these rather than the query."""
    pauses = _Pauses()
    gc.callbacks.append(pauses.record)
    return pauses


async def profile(sm, account: str, worst: list[tuple[float, str, str, str]], repeat: int) -> None:  # type: ignore[no-untyped-def]
    """The slowest samples (by this process's CPU) again, ``repeat`` times each, under pyinstrument
    (``pip install pyinstrument``): where a slow call's time goes, warm, as in the timed loop."""
    from pyinstrument import Profiler

    print(f"\nslowest {len(worst)} samples by cpu ms:")
    for cpu, role, user_id, deal in worst:
        print(f"  {cpu:8.2f}  {role:<18} {user_id:<6} {deal}")
    async with sm() as s:
        viewers = {u: await load_viewer(s, account, u) for _, _, u, _ in worst}
        again: list[float] = []
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        for _ in range(repeat):
            for _, _, user_id, deal in worst:
                used = time.process_time()
                await deal_context(s, deal, viewers[user_id])
                again.append((time.process_time() - used) * 1000)
        profiler.stop()
    show("  cpu ms, slowest again (under the profiler)", percentiles(again))
    print(profiler.output_text(unicode=False, color=False, show_all=False))


async def explain(sm, dialect: str, account: str, deal_id: str, roles: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    """The plan of the timeline query for the busiest deal, per role, captured from the statement
    deal_context really runs, for the first viewer of the role who may see the deal (a viewer who
    may not see it never reaches the timeline query: the plan printed nothing before)."""
    for role, ids in roles.items():
        for user_id in ids[:20]:
            lines = await _plan(sm, dialect, account, deal_id, user_id)
            if lines is not None:
                print(f"\nplan of the timeline query, busiest deal {deal_id}, {role} ({user_id}):")
                for line in lines:
                    print("  " + line)
                break
        else:
            print(f"\n{role}: none of the first 20 viewers may see deal {deal_id}")


async def _plan(sm, dialect: str, account: str, deal_id: str, user_id: str) -> list[str] | None:  # type: ignore[no-untyped-def]
    captured: list[tuple[str, object]] = []
    async with sm() as s:
        viewer = await load_viewer(s, account, user_id)
        conn = await s.connection()

        def grab(conn_, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if "ORDER BY activities.occurred_at DESC" in statement:
                captured.append((statement, parameters))

        event.listen(conn.sync_connection, "before_cursor_execute", grab)
        try:
            await deal_context(s, deal_id, viewer)
        finally:
            event.remove(conn.sync_connection, "before_cursor_execute", grab)
        if not captured:
            return None
        statement, params = captured[0]
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        if dialect == "postgresql":
            rows = await driver.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *params)
            return [r[0] for r in rows]
        cursor = await driver.execute("EXPLAIN QUERY PLAN " + statement, params)
        return [str(r[-1]) for r in await cursor.fetchall()]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--account", default="scale")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--slowest", type=int, default=0, help="profile the N slowest samples (pyinstrument)")
    p.add_argument("--repeat", type=int, default=5, help="with --slowest: runs of each slow sample")
    p.add_argument(
        "--freeze",
        action="store_true",
        help="gc.freeze() before timing: full collections skip the start-up objects (65 -> 6 ms pauses"
        " at 1M), but in `insights serve` it raised the cached read's p99 by a third (more frequent"
        " collections), so the server does not",
    )
    a = p.parse_args()
    asyncio.run(main(a.database_url, a.account, a.samples, a.seed, a.slowest, a.repeat, a.freeze))
