"""``insights worker``: a Huey consumer for the background jobs (run any number, on any machine)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from insights.cli.app import app, console, run
from insights.core.config import get_settings
from insights.core.db import make_engine
from insights.core.migrate import upgrade


async def _schema(url: str) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads in this process.")] = 2,
    periodic: Annotated[
        bool, typer.Option(help="Run the schedules (rules, day-ahead); one process with them is enough.")
    ] = True,
) -> None:
    """Run background jobs from the queue (INSIGHTS_JOBS=redis, or sqlite on one machine) until stopped."""
    from huey.consumer import Consumer

    from insights.jobs import Jobs

    settings = get_settings()
    if settings.jobs == "off":
        console.print("[red]INSIGHTS_JOBS is off:[/] set it to redis (with REDIS_URL) or sqlite")
        raise typer.Exit(2)
    logging.basicConfig(level=settings.log_level)
    run(_schema(settings.database_url))  # the jobs read the tables the API would create
    jobs = Jobs(settings)
    console.print(f"Worker on the {settings.jobs} queue '{settings.jobs_name}' with {workers} threads")
    try:
        # the stand-alone consumer: SIGTERM stops it gracefully, SIGINT at once
        Consumer(jobs.huey, workers=workers, worker_type="thread", periodic=periodic).run()
    finally:
        jobs.close()
