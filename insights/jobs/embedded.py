"""A Huey consumer inside another process (``insights demo``, tests): thread workers and the
scheduler, without the signal handlers a stand-alone consumer installs (they belong to uvicorn)."""

from __future__ import annotations

from huey.consumer import Consumer

from insights.jobs.queue import Jobs


class EmbeddedConsumer(Consumer):  # type: ignore[misc]  # huey ships no type hints
    def _set_signal_handlers(self) -> None:
        pass


def start_consumer(jobs: Jobs, workers: int | None = None, periodic: bool = True) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(
        jobs.huey,
        workers=workers or jobs.settings.jobs_workers,
        worker_type="thread",
        periodic=periodic,
        max_delay=0.5,  # an idle SQLite queue is polled at most every half second
        flush_locks=jobs.settings.jobs == "sqlite",  # this process is the queue's only consumer
    )
    if jobs.settings.jobs == "sqlite":
        # this process is the SQLite queue's only consumer: locks and markers left by a previous
        # run that stopped mid-job go (results too; nothing reads them after a restart)
        jobs.huey.storage.flush_results()
    consumer.start()
    return consumer


def stop_consumer(consumer: EmbeddedConsumer) -> None:
    consumer.stop(graceful=True)
