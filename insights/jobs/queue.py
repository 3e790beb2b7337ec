"""The job engine: Huey. Tasks, schedules, retries, locks and the pending-rebuild markers.

Huey because it is small, well kept and has what we need built in: periodic tasks (crontab),
retries with a delay and a backoff factor, task locks, a consumer with thread workers, and two
storages behind one API — Redis for production (``insights worker`` processes, any number) and a
SQLite file for the embedded demo (the consumer runs inside ``insights demo``, nothing to set up).
Our code is async: each task runs its async body on its worker thread's own loop (runtime.py).

Every task's arguments are ids and ISO times, never CRM text: a queue is not a place for data
a viewer may not see. Enqueuing never takes the API down: when the queue is unreachable the API
logs it and answers as without jobs (insights are then built when opened).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from huey import RedisExpireHuey, SqliteHuey, crontab
from huey.api import Huey, Task
from huey.exceptions import TaskLockedException
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

from insights.core import metrics
from insights.core.config import Settings, data_dir
from insights.insight.cache import InsightCache
from insights.jobs import work
from insights.jobs.runtime import Clock, Runtime, State

log = logging.getLogger("insights.jobs")
PENDING_TTL_S = 300.0  # a marker older than this is a lost job: the API builds on demand again
QUIET_S = 10.0  # after the queue failed to answer, the API stops asking it for this long
LOCK_TTL_S = 600  # a crashed worker's user lock frees itself (Redis)
RETRIES, RETRY_BACKOFF = 3, 3.0  # model failures: retried after d, 3d, 9d (INSIGHTS_JOBS_RETRY_DELAY)


def make_huey(settings: Settings) -> Huey:
    if settings.jobs == "redis":
        url = settings.jobs_url or settings.redis_url
        if not url:
            raise ValueError("INSIGHTS_JOBS=redis needs INSIGHTS_JOBS_URL or REDIS_URL")
        # short timeouts: an API process must not hang on a Redis that went away
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)
        return RedisExpireHuey(settings.jobs_name, connection_pool=pool, expire_time=3600)
    path = Path(settings.jobs_url or data_dir() / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.jobs_name, filename=str(path), timeout=30)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


class Jobs:
    """The queue of one process: enqueue (API, CLI) and run (worker, embedded consumer)."""

    def __init__(
        self, settings: Settings, cache: InsightCache | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.huey = make_huey(settings)
        self.runtime = Runtime(settings, cache, clock)
        self.clock = self.runtime.clock
        self._quiet_until = 0.0
        self._register()

    # -- markers: a rebuild is pending for (deal, viewer) -----------------------------------------
    def _marker(self, portal_id: str, deal_id: str, user_id: str) -> str:
        return f"pending:{portal_id}:{deal_id}:{user_id}"

    def _peek(self, key: str) -> bool:
        stamp = self.huey.get(key, peek=True)
        return isinstance(stamp, float) and time.time() - stamp < PENDING_TTL_S

    async def pending(self, portal_id: str, deal_id: str, user_id: str) -> bool:
        """Whether a background rebuild of this viewer's insight is queued or running."""
        if time.monotonic() < self._quiet_until:
            return False
        try:
            return await asyncio.to_thread(self._peek, self._marker(portal_id, deal_id, user_id))
        except Exception as exc:  # whatever the queue's client raises: answer as without jobs
            self._quiet_until = time.monotonic() + QUIET_S  # no connect timeout on every request
            log.warning("job queue unreachable (%s): building on demand", type(exc).__name__)
            return False

    def _clear(self, portal_id: str, deal_id: str, user_id: str) -> None:
        self.huey.delete(self._marker(portal_id, deal_id, user_id))

    # -- enqueue side -----------------------------------------------------------------------------
    async def after_change(self, portal_id: str) -> bool:
        """After a committed change (an import): rebuild what was viewed recently. Never raises."""
        try:
            await asyncio.to_thread(self.rebuild_viewed, portal_id, None)
            return True
        except Exception as exc:
            log.warning("job queue unreachable (%s): insights rebuild when opened", type(exc).__name__)
            return False

    # -- the tasks --------------------------------------------------------------------------------
    def _register(self) -> None:
        h, rt, s = self.huey, self.runtime, self.settings

        @h.task(name="evaluate_all")
        def evaluate_all(at: str | None = None) -> int:
            users = rt.run(work.active_users)
            for portal_id, user_id in users:
                evaluate_user(portal_id, user_id, at)
            return len(users)

        @h.task(retries=2, retry_delay=1, name="evaluate_user")
        def evaluate_user(portal_id: str, user_id: str, at: str | None = None) -> str:
            when = datetime.fromisoformat(at) if at else self.clock()
            try:
                # one evaluation of a user at a time, whichever worker holds it; TTL only on Redis
                with h.lock_task(
                    f"rules:{portal_id}:{user_id}", ttl=LOCK_TTL_S if s.jobs == "redis" else None
                ):

                    async def body(st: State) -> str:
                        return await work.evaluate_user(st, portal_id, user_id, when)

                    return rt.run(body)
            except TaskLockedException:
                return "skipped: being evaluated"  # the holder evaluates the same data

        @h.periodic_task(crontab(minute=f"*/{s.rules_every_minutes}"), name="rules_tick")
        def rules_tick() -> None:
            evaluate_all()

        @h.task(name="rebuild_viewed")
        def rebuild_viewed(portal_id: str, day: str | None = None) -> int:
            at = work.day_start(day) if day else self.clock()

            async def body(st: State) -> list[work.Pair]:
                return await work.stale_pairs(st, portal_id, at)

            pairs = rt.run(body)
            for deal_id, user_id in pairs:
                h.put(self._marker(portal_id, deal_id, user_id), time.time())
                rebuild_insight(portal_id, deal_id, user_id, day)
            return len(pairs)

        @h.task(
            retries=RETRIES,
            retry_delay=s.jobs_retry_delay_s,
            retry_backoff=RETRY_BACKOFF,
            name="rebuild_insight",
        )
        def rebuild_insight(portal_id: str, deal_id: str, user_id: str, day: str | None = None) -> str:
            at = work.day_start(day) if day else self.clock()

            async def body(st: State) -> str:
                return await work.rebuild(st, portal_id, deal_id, user_id, at)

            outcome = rt.run(body)  # ModelFailed propagates: the engine retries, then parks
            self._clear(portal_id, deal_id, user_id)
            return outcome

        @h.periodic_task(crontab(minute=str(s.day_ahead_minute), hour="23"), name="day_ahead")
        def day_ahead() -> None:
            """Before midnight UTC: tomorrow's insight of the day for what was viewed recently."""
            tomorrow = (self.clock() + timedelta(days=1)).date().isoformat()
            for portal_id in rt.run(work.accounts):
                rebuild_viewed(portal_id, tomorrow)

        @h.signal(SIGNAL_ERROR)
        def on_error(signal: str, task: Task, exc: Exception | None = None) -> None:
            if task.retries:  # huey re-queues it with backoff
                metrics.JOBS.labels(task.name, "retrying").inc()
                return
            metrics.JOBS.labels(task.name, "parked").inc()
            log.error("job %s parked after its retries: %s", task.name, type(exc).__name__)
            args = ",".join(str(a) for a in task.args)

            async def body(st: State) -> None:
                await work.park(st, task.id, task.name, args, type(exc).__name__)

            rt.run(body)
            if task.name == "rebuild_insight":
                self._clear(*task.args[:3])

        @h.signal(SIGNAL_COMPLETE)
        def on_complete(signal: str, task: Task, *_: Any) -> None:
            metrics.JOBS.labels(task.name, "done").inc()

        self.evaluate_all, self.evaluate_user, self.rebuild_viewed = (
            evaluate_all,
            evaluate_user,
            rebuild_viewed,
        )
        self.rebuild_insight, self.rules_tick, self.day_ahead = rebuild_insight, rules_tick, day_ahead

    def close(self) -> None:
        self.runtime.close()
