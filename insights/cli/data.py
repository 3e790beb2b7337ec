"""``insights import | generate | feedback export``: CRM data in, scale data, feedback out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from insights.cli.app import app, console, err, feedback_app, run
from insights.core.config import data_settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.migrate import upgrade


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".json or .jsonl")],
    account: Annotated[str | None, typer.Option(help="Account for files without one.")] = None,
    atomic: Annotated[bool, typer.Option(help="Abort the whole batch on any rejection.")] = False,
) -> None:
    """Import CRM records (CRM v3 JSON or JSON Lines) with a report of created/updated/rejected."""
    from insights.crm.importer import import_records
    from insights.crm.reader import FormatError, iter_file
    from insights.crm.report import ImportAborted

    settings = data_settings()

    async def go() -> None:
        engine = make_engine(settings.database_url)
        await upgrade(engine)
        sm = make_sessionmaker(engine)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} records"),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task(f"Importing {file.name}", total=None)
            async with sm() as session:
                try:
                    report = await import_records(
                        session,
                        iter_file(file),
                        account_id=account,
                        atomic=atomic,
                        progress=lambda n: progress.update(task, completed=n),
                    )
                except (FormatError, ImportAborted) as exc:
                    err.print(f"[red]Import refused:[/] {exc}")
                    raise typer.Exit(2) from None
                if report.aborted:
                    await session.rollback()
                else:
                    await session.commit()
        await engine.dispose()
        if not report.aborted and settings.jobs != "off" and report.account_id:
            from insights.jobs import Jobs  # queue the rebuild of what was viewed recently

            await Jobs(settings).after_change(report.account_id)
        table = Table("type", "created", "updated", "unchanged", title=f"Import into {report.account_id}")
        for kind in sorted(set(report.created) | set(report.updated) | set(report.unchanged)):
            table.add_row(
                kind,
                str(report.created.get(kind, 0)),
                str(report.updated.get(kind, 0)),
                str(report.unchanged.get(kind, 0)),
            )
        console.print(table)
        for r in report.rejected[:50]:
            console.print(f"[yellow]rejected[/] {r.type} {r.id}: {r.reason}")
        if report.rejected_count > 50:
            console.print(f"… and {report.rejected_count - 50} more rejections")
        console.print(
            ("[red]Aborted (atomic batch): nothing imported.[/]" if report.aborted else "[green]Done[/]")
            + f" in {report.seconds:.1f} s"
        )
        if report.aborted:
            raise typer.Exit(1)

    run(go())


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Output file (.jsonl)")],
    deals: int = 10_000,
    activities: int = 1_000_000,
    users: int = 200,
    seed: int = 1,
    account: str = "scale",
) -> None:
    """Write a deterministic scale account (JSON Lines) for benchmarks."""
    from insights.crm.generate import generate_cli

    generate_cli(out, deals, activities, users, seed, account_id=account)


@feedback_app.command("export")
def feedback_export(
    account: str | None = None,
    out: Annotated[Path | None, typer.Option(help="File (default: stdout).")] = None,
) -> None:
    """Export feedback with the exact insight it was about, as JSON Lines."""
    from insights.insight.feedback import export_feedback

    async def go() -> int:
        engine = make_engine(data_settings().database_url)
        lines = []
        async with make_sessionmaker(engine)() as s:
            lines = [line async for line in export_feedback(s, account)]
        await engine.dispose()
        text = "".join(line + "\n" for line in lines)
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return len(lines)

    n = run(go())
    err.print(f"{n} feedback rows exported")
