"""Guided-action evaluation time on a generated account: the busiest user, then every user.

    python -m evals.perf.bench_guided_actions --database-url sqlite:////tmp/scale.db
        [--now 2026-11-01T12:00:00Z]

Evaluation writes actions (it is what the API does per request); the run is rolled back at the end
so the benchmark can be repeated on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sqlalchemy import func, select

import insights  # noqa: F401
from evals.perf.common import percentiles, show
from insights.config import async_database_url
from insights.crm import models as m
from insights.crm.parse import parse_time
from insights.db import create_schema, make_engine, make_sessionmaker
from insights.guided_actions.runner import evaluate


async def main(url: str, account: str, now_s: str, repeats: int) -> None:
    now = parse_time(now_s, "--now")
    engine = make_engine(async_database_url(url))
    await create_schema(engine)  # adds tables a database imported before them lacks
    sm = make_sessionmaker(engine)
    async with sm() as s:
        owned = (
            await s.execute(
                select(m.Activity.owner_id, func.count())
                .where(m.Activity.portal_id == account)
                .group_by(m.Activity.owner_id)
                .order_by(func.count().desc())
            )
        ).all()
        users = list(await s.scalars(select(m.User.id).where(m.User.portal_id == account)))
        top, n_acts = owned[0]
        n_records = n_acts + sum(
            [
                await s.scalar(
                    select(func.count()).select_from(t).where(t.portal_id == account, t.owner_id == top)
                )
                for t in (m.Deal, m.Contact, m.Lead)
            ]
        )
    print(f"{engine.dialect.name}: busiest user {top} owns {n_records:,} records ({n_acts:,} activities)")
    times = []
    for i in range(repeats):
        async with sm() as s:
            started = time.perf_counter()
            result = await evaluate(s, account, top, now)
            times.append((time.perf_counter() - started) * 1000)
            if i == 0:
                print(f"  first run created {len(result.created)} actions")
            if i < repeats - 1:
                await s.commit()  # later runs measure the steady state (actions exist)
            else:
                await s.rollback()
    show(
        "evaluate ms, busiest user (first, then steady)",
        {"first": times[0], **percentiles(times[1:] or times)},
    )
    all_times = []
    async with sm() as s:
        started_all = time.perf_counter()
        for u in users:
            started = time.perf_counter()
            await evaluate(s, account, u, now)
            all_times.append((time.perf_counter() - started) * 1000)
        total = time.perf_counter() - started_all
        await s.rollback()
    show(f"evaluate ms, each of {len(users)} users", {**percentiles(all_times), "total_s": total})
    await engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--account", default="scale")
    p.add_argument("--now", default="2026-11-01T12:00:00Z")
    p.add_argument("--repeats", type=int, default=4)
    a = p.parse_args()
    asyncio.run(main(a.database_url, a.account, a.now, a.repeats))
