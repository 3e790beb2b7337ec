"""``insights demo | serve | token | users``: run the service, and the local helpers beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import delete, select

from insights.cli.app import app, console, run
from insights.core.config import Settings, data_settings, demo_settings, get_settings, local_settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.migrate import upgrade

DEMO_USERS = [
    ("100", "Dana Admin", "super admin"),
    ("101", "Ana Ruiz", "rep, UK: owns the budget-cut email"),
    ("102", "Ben Okafor", "rep, UK: cannot see Ana's emails"),
    ("103", "Chloe Martin", "manager, EMEA"),
    ("104", "Diego Silva", "rep, US"),
    ("105", "Eve Park", "rep, US + UK"),
]


async def _import_docs(settings: Settings, docs: list[dict[str, Any]]) -> None:
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


async def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option(help="Serve after loading (--no-serve only loads).")] = True,
) -> None:
    """Load the demo accounts (idempotent) into the configured database and serve the API."""
    from insights.core.tokens import mint_token
    from insights.crm.demo import demo_accounts_started, demo_anchor
    from insights.crm.demo_health import seed_database

    # The demo's own settings: dev endpoints for the widget, and a random signing key kept in the
    # user data dir (unless INSIGHTS_TOKEN_KEY is set) that ``insights token`` reads too.
    settings = demo_settings()
    with console.status("Loading the demo accounts…"):
        # deal stories at the day's noon, Ana's time-sensitive day at this very moment
        started = datetime.now(UTC)
        run(_import_docs(settings, demo_accounts_started(started)))
        run(seed_database(settings.database_url, demo_anchor(started)))  # health: profile, a month of days
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
def serve_cmd(
    port: int = 8000,
    host: str = "127.0.0.1",
    workers: Annotated[int, typer.Option(min=1, help="Processes (share a cache through REDIS_URL).")] = 1,
    access_log: Annotated[bool, typer.Option(help="One log line per request.")] = True,
) -> None:
    """Serve the API (creates the schema if missing), settings from the environment."""
    import uvicorn

    settings = get_settings()  # fails here, once, on a bad environment
    run(_migrate(settings))  # once, before the workers start: they would race on an empty database
    # an app factory by import string: each worker process builds its own app from the environment
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=access_log,
    )


@app.command()
def users(account: str = "demo") -> None:
    """List the users of an account."""
    from insights.crm.models import User

    async def go() -> None:
        engine = make_engine(data_settings().database_url)
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

    run(go())


@app.command()
def token(
    user_id: str,
    account: str = "demo",
    ttl: Annotated[int | None, typer.Option(help="Seconds.")] = None,
    scope: Annotated[str | None, typer.Option(help="'import' for an integration token.")] = None,
) -> None:
    """Print a signed bearer token for a user (INSIGHTS_TOKEN_KEY, else the key of ``insights demo``)."""
    from insights.core.tokens import mint_token

    print(
        mint_token(
            local_settings(),
            None if scope == "import" and user_id == "-" else user_id,
            account,
            ttl_s=ttl,
            scope=scope,
        )
    )
