"""The plans of guided-action finders: every statement a rule's finder runs for the busiest user (or
``--user``), each timed and printed with its plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN
on SQLite), so a slow finder shows where its time goes.

    python -m evals.perf.explain_guided_actions --database-url URL --account scale --rules 3,7,14
    python -m evals.perf.explain_guided_actions --database-url sqlite:////work/data/scale.db --rules 7 --sql

Nothing is written: the session is rolled back.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from sqlalchemy import event

import insights  # noqa: F401
from evals.perf.bench_guided_actions import _busiest
from insights.core.config import async_database_url
from insights.core.db import make_engine, make_sessionmaker
from insights.crm.parse import parse_time
from insights.guided_actions.base import User
from insights.guided_actions.runner import RULES
from insights.permissions.viewer import load_viewer


async def main(url: str, account: str, user: str | None, now_s: str, rules: set[int], sql: bool) -> None:
    now = parse_time(now_s, "--now")
    engine = make_engine(async_database_url(url))
    dialect = engine.dialect.name
    sm = make_sessionmaker(engine)
    if user is None:
        user, n = await _busiest(sm, account)
        print(f"{dialect}: busiest user {user} owns {n:,} records")
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        captured.append((statement, params))

    async with sm() as s:
        viewer = await load_viewer(s, account, user)
        assert viewer is not None
        u = User.of(viewer)
        for rule in RULES:
            if rule.number not in rules:
                continue
            captured.clear()
            event.listen(engine.sync_engine, "before_cursor_execute", capture)
            started = time.perf_counter()
            found = await rule.find(s, u, now)
            ms = (time.perf_counter() - started) * 1000
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
            n = len(captured)
            print(f"\n=== rule {rule.number} {rule.key}: {ms:.0f} ms, {len(found)} found, {n} statements")
            for i, (statement, params) in enumerate(list(captured)):
                print(f"--- statement {i + 1}")
                if sql:
                    print(statement, params)
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
                conn = await s.connection()
                started = time.perf_counter()
                result = await conn.exec_driver_sql(prefix + statement, params)
                plan = result.all()
                took = (time.perf_counter() - started) * 1000
                if dialect == "postgresql":
                    print("\n".join(r[0] for r in plan))
                else:
                    print("\n".join(f"{r[0]:>4} {r[1]:>4} {r[-1]}" for r in plan))
                    started = time.perf_counter()
                    await conn.exec_driver_sql(statement, params)
                    took = (time.perf_counter() - started) * 1000
                print(f"(statement alone: {took:.0f} ms)")
        await s.rollback()
    await engine.dispose()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--account", default="scale")
    p.add_argument("--user", default=None, help="default: the account's busiest user")
    p.add_argument("--now", default="2026-11-01T12:00:00Z")
    p.add_argument("--rules", default=",".join(str(r.number) for r in RULES), help="comma-separated numbers")
    p.add_argument("--sql", action="store_true", help="print each statement and its parameters too")
    a = p.parse_args()
    asyncio.run(main(a.database_url, a.account, a.user, a.now, {int(x) for x in a.rules.split(",")}, a.sql))
