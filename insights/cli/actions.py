"""``insights actions USER_ID``: evaluate a rep's guided actions now (or at ``--now``) and list them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from insights.cli.app import app, console, err, run
from insights.core.config import data_settings
from insights.core.db import make_engine, make_sessionmaker
from insights.guided_actions.service import Category


@app.command()
def actions(
    user_id: str,
    account: str = "demo",
    now: Annotated[str | None, typer.Option(help="Evaluate at this ISO time (default: now).")] = None,
    category: Category = "all",
) -> None:
    """Evaluate the guided-action rules for a user and print their active actions."""
    from insights.crm.values import RecordError, parse_time
    from insights.guided_actions.runner import evaluate
    from insights.guided_actions.service import list_actions
    from insights.permissions import load_viewer

    try:
        # a non-empty --now parses to a time or raises; an empty one means now
        clock = (parse_time(now, "--now") if now else None) or datetime.now(UTC)
    except RecordError as exc:
        raise typer.BadParameter(str(exc)) from None

    async def go() -> None:
        engine = make_engine(data_settings().database_url)
        async with make_sessionmaker(engine)() as s:
            viewer = await load_viewer(s, account, user_id)
            if viewer is None:
                err.print(f"[red]No user {user_id} in account {account}[/]")
                raise typer.Exit(2)
            result = await evaluate(s, account, user_id, clock)
            items = await list_actions(s, user_id, viewer, category)
            await s.commit()
        await engine.dispose()
        table = Table(
            "rule",
            "category",
            "about",
            "why",
            title=f"Guided actions of {user_id} at {clock:%Y-%m-%d %H:%M} "
            f"UTC ({len(result.created)} new, {len(result.expired)} expired)",
        )
        for a in items:
            table.add_row(a.title, a.category, ", ".join(r.name for r in a.records), " ".join(a.why))
        console.print(table)

    run(go())
