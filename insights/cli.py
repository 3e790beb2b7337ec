"""The ``insights`` command line: demo, serve, import, generate, users, token, feedback, actions."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import delete, select

from insights.config import Settings, demo_settings, get_settings, local_settings
from insights.db import make_engine, make_sessionmaker
from insights.migrate import upgrade

app = typer.Typer(
    help="Deal insights: AI summaries, risks and buyer goals for a CRM deal sidebar.",
    no_args_is_help=True,
    add_completion=False,
)
feedback_app = typer.Typer(help="Feedback given on insights.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")
console = Console()
err = Console(stderr=True)

DEMO_USERS = [
    ("100", "Dana Admin", "super admin"),
    ("101", "Ana Ruiz", "rep, UK: owns the budget-cut email"),
    ("102", "Ben Okafor", "rep, UK: cannot see Ana's emails"),
    ("103", "Chloe Martin", "manager, EMEA"),
    ("104", "Diego Silva", "rep, US"),
    ("105", "Eve Park", "rep, US + UK"),
]


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _import_docs(settings: Settings, docs: list[dict]) -> None:
    from insights.crm.importer import import_records
    from insights.crm.models import DealPropertyHistory
    from insights.crm.reader import iter_document

    engine = make_engine(settings.database_url)
    await upgrade(engine)
    sm = make_sessionmaker(engine)
    async with sm() as session:
        for doc in docs:
            # demo times are relative to today: drop yesterday's history instead of piling it up
            await session.execute(
                delete(DealPropertyHistory).where(DealPropertyHistory.portal_id == doc["account"]["id"])
            )
            report = await import_records(session, iter_document(doc))
            if report.rejected:
                raise RuntimeError(f"demo data rejected: {report.rejected[:3]}")
        await session.commit()
    await engine.dispose()


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option(help="Serve after loading (--no-serve only loads).")] = True,
) -> None:
    """Load the demo accounts (idempotent) into the configured database and serve the API."""
    from insights.crm.demo import demo_accounts
    from insights.tokens import mint_token

    # The demo's own settings: dev endpoints for the widget, and a random signing key kept in the
    # user data dir (unless INSIGHTS_TOKEN_KEY is set) that ``insights token`` reads too.
    settings = demo_settings()
    with console.status("Loading the demo accounts…"):
        today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        _run(_import_docs(settings, demo_accounts(today)))
    url = f"http://{host}:{port}"
    console.print(f"[bold green]Demo loaded[/] into {settings.database_url}")
    table = Table("user id", "name", "role", title="Demo users (account 'demo')")
    for uid, name, role in DEMO_USERS:
        table.add_row(uid, name, role)
    console.print(table)
    console.print(f"Widget: [bold]{url}/widget/[/]   API docs: {url}/docs")
    print("Token for Ana (101):", mint_token(settings, "101", "demo"))
    console.print(
        "Any other:  insights token USER_ID [--account demo]   Model: "
        + (settings.model or "none configured (set INSIGHTS_MODEL): data-only insights")
    )
    console.print(f'Try:  curl -H "Authorization: Bearer $(insights token 101)" {url}/v1/deals/9001/insights')
    if serve:
        _serve(settings, host, port)


@app.command("serve")
def serve_cmd(port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve the API (creates the schema if missing)."""
    _serve(get_settings(), host, port)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".json or .jsonl")],
    account: Annotated[str | None, typer.Option(help="Account for files without one.")] = None,
    atomic: Annotated[bool, typer.Option(help="Abort the whole batch on any rejection.")] = False,
) -> None:
    """Import CRM records (CRM v3 JSON or JSON Lines) with a report of created/updated/rejected."""
    from insights.crm.importer import ImportAborted, import_records
    from insights.crm.reader import FormatError, iter_file

    settings = local_settings()

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

    _run(go())


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


@app.command()
def users(account: str = "demo") -> None:
    """List the users of an account."""
    from insights.crm.models import User

    async def go() -> None:
        engine = make_engine(local_settings().database_url)
        async with make_sessionmaker(engine)() as s:
            rows = (
                (await s.execute(select(User).where(User.portal_id == account).order_by(User.id)))
                .scalars()
                .all()
            )
        await engine.dispose()
        table = Table("id", "name", "email", "permission set", "super admin", title=f"Users of {account}")
        for u in rows:
            table.add_row(
                u.id,
                f"{u.first_name} {u.last_name}",
                u.email,
                u.permission_set_id or "",
                "yes" if u.super_admin else "",
            )
        console.print(table)

    _run(go())


@app.command()
def token(
    user_id: str,
    account: str = "demo",
    ttl: Annotated[int | None, typer.Option(help="Seconds.")] = None,
    scope: Annotated[str | None, typer.Option(help="'import' for an integration token.")] = None,
) -> None:
    """Print a signed bearer token for a user (INSIGHTS_TOKEN_KEY, else the key of ``insights demo``)."""
    from insights.tokens import mint_token

    print(
        mint_token(
            local_settings(),
            None if scope == "import" and user_id == "-" else user_id,
            account,
            ttl_s=ttl,
            scope=scope,
        )
    )


@feedback_app.command("export")
def feedback_export(
    account: str | None = None,
    out: Annotated[Path | None, typer.Option(help="File (default: stdout).")] = None,
) -> None:
    """Export feedback with the exact insight it was about, as JSON Lines."""
    from insights.feedback import export_feedback

    async def go() -> int:
        engine = make_engine(local_settings().database_url)
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

    n = _run(go())
    err.print(f"{n} feedback rows exported")


if __name__ == "__main__":
    app()


@app.command()
def actions(
    user_id: str,
    account: str = "demo",
    now: Annotated[str | None, typer.Option(help="Evaluate at this ISO time (default: now).")] = None,
    category: str = "all",
) -> None:
    """Evaluate the guided-action rules for a user and print their active actions."""
    from insights.crm.parse import RecordError, parse_time
    from insights.guided_actions.runner import evaluate
    from insights.guided_actions.service import list_actions
    from insights.permissions import load_viewer

    try:
        clock = parse_time(now, "--now") if now else datetime.now(UTC)
    except RecordError as exc:
        raise typer.BadParameter(str(exc)) from None

    async def go() -> None:
        engine = make_engine(local_settings().database_url)
        async with make_sessionmaker(engine)() as s:
            viewer = await load_viewer(s, account, user_id)
            if viewer is None:
                err.print(f"[red]No user {user_id} in account {account}[/]")
                raise typer.Exit(2)
            result = await evaluate(s, account, user_id, clock)
            items = await list_actions(s, user_id, viewer, category)  # type: ignore[arg-type]
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

    _run(go())


eval_app = typer.Typer(
    help="Offline eval suites: run, compare, draft cases from feedback.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


@eval_app.command("run")
def eval_run(
    suite: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    mode: Annotated[str, typer.Option(help="replay | record | live")] = "replay",
    model: Annotated[str | None, typer.Option(help="litellm model string (record/live)")] = None,
    prompt_version: Annotated[str | None, typer.Option(help="prompts/<version> to evaluate")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default evals/runs/<suite>-<time>)")
    ] = None,
    concurrency: int = 4,
) -> None:
    """Run the real pipeline on every case of a suite; write JSON and HTML reports; exit 1 on failures."""
    from evals.harness import run_suite
    from evals.report import print_table, write_reports

    if mode not in ("replay", "record", "live"):
        raise typer.BadParameter("mode must be replay, record or live")
    import yaml

    n = len(yaml.safe_load((suite / "suite.yaml").read_text(encoding="utf-8"))["cases"])
    with Progress(
        TextColumn("Evaluating"), BarColumn(), TextColumn("{task.completed}/{task.total} cases"), console=err
    ) as progress:
        task = progress.add_task("eval", total=n)
        run = asyncio.run(
            run_suite(suite, mode, model, concurrency, lambda: progress.advance(task), prompt_version)
        )
    print_table(run, console)
    folder = out or Path("evals/runs") / f"{suite.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    json_path, html_path = write_reports(run, folder)
    console.print(f"JSON: {json_path}   HTML: {html_path}")
    if not all(c.passed for c in run.cases):
        raise typer.Exit(1)


@eval_app.command("compare")
def eval_compare(run_a: Path, run_b: Path, threshold: float = 0.02) -> None:
    """What got better or worse from run A to run B; exit 1 when a metric regressed (a CI gate)."""
    import json

    from evals.harness import compare

    def load(p: Path) -> dict:
        return json.loads((p / "run.json" if p.is_dir() else p).read_text(encoding="utf-8"))

    lines, regressed = compare(load(run_a), load(run_b), threshold)
    for line in lines:
        console.print(line)
    if regressed:
        err.print("[red]Regression past the threshold.[/]")
        raise typer.Exit(1)


@eval_app.command("from-feedback")
def eval_from_feedback(
    feedback: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    out: Path = Path("evals/suites/from-feedback.yaml"),
) -> None:
    """Turn exported not-helpful feedback (insights feedback export) into draft cases to complete."""
    import json

    import yaml

    cases = []
    for line in feedback.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["rating"] != "not_helpful":
            continue
        cases.append(
            {
                "id": f"feedback-{row['feedback_id'][:8]}",
                "account": row["portal_id"],
                "user": row["user_id"],
                "deal": row["insight"]["deal_id"],
                "note": f"{row.get('reason') or ''}: {row.get('comment') or ''}".strip(": "),
                "expect": {"risk_kinds": [], "goal_phrases": [], "never": []},
            }
        )
    out.write_text(yaml.safe_dump({"cases": cases}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    console.print(f"{len(cases)} draft cases written to {out}: fill in the expectations before use.")
