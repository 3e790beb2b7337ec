"""``insights actions USER_ID [--now ISO]``: evaluate a rep's guided actions and print them.

The lead wires ``actions_command`` into the ``insights`` CLI; ``python -m insights.guided_actions.cli``
runs it standalone. Evaluation is committed (as the API does): re-running is idempotent.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from insights.config import async_database_url, get_settings
from insights.crm.parse import RecordError, parse_time
from insights.db import create_schema, make_engine, make_sessionmaker
from insights.guided_actions.runner import evaluate
from insights.guided_actions.service import list_actions
from insights.permissions.viewer import load_viewer


async def _actions(user_id: str, clock: datetime, portal: str, url: str) -> Table:
    engine = make_engine(url)
    try:
        await create_schema(engine)  # a database made before the guided-action tables gets them
        async with make_sessionmaker(engine)() as s:
            viewer = await load_viewer(s, portal, user_id)
            if viewer is None:
                raise LookupError(f"No user {user_id} in account {portal}")
            result = await evaluate(s, portal, user_id, clock, viewer=viewer)
            items = await list_actions(s, user_id, viewer, "all")
            await s.commit()
    finally:
        await engine.dispose()
    table = Table(
        "#",
        "action",
        "category",
        "about",
        "why",
        title=f"Guided actions of {user_id} at {clock:%Y-%m-%d %H:%M} UTC "
        f"({len(result.created)} new, {len(result.expired)} expired, {len(items)} shown)",
    )
    for a in items:
        table.add_row(
            a.rule, a.title, a.category, ", ".join(f"{r.type} {r.name}" for r in a.records), " ".join(a.why)
        )
    return table


def actions_command(user_id: str, now: str | None, portal: str | None, database_url: str | None) -> None:
    """Evaluate the rules for ``user_id`` at ``now`` (ISO, default: the current time) and print a table."""
    try:
        clock = parse_time(now, "--now") if now else datetime.now(UTC)
    except RecordError as exc:
        raise typer.BadParameter(str(exc)) from None
    url = async_database_url(database_url) if database_url else get_settings().database_url
    try:
        table = asyncio.run(_actions(user_id, clock, portal or "demo", url))
    except LookupError as exc:
        Console(stderr=True).print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    Console().print(table)


app = typer.Typer(add_completion=False, help="Guided actions of one rep.")


@app.command()
def actions(
    user_id: str,
    now: Annotated[str | None, typer.Option(help="Evaluate at this ISO time (default: now).")] = None,
    portal: Annotated[str | None, typer.Option(help="Account id (default: demo).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Default: the configured database.")] = None,
) -> None:
    """Evaluate the guided-action rules for a user and print their active actions."""
    actions_command(user_id, now, portal, database_url)


if __name__ == "__main__":
    app()
