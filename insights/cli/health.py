"""``insights health ...``: recompute scores (idempotent, at ``--now``), summary, records, alerts,
profiles (``profile-add FILE.json`` for a super admin's JSON body)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from insights.cli.app import app, console, err, run
from insights.core.config import data_settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.migrate import upgrade

health_app = typer.Typer(help="Customer health scores: recompute, summary, records, alerts, profiles.")
app.add_typer(health_app, name="health", no_args_is_help=True)
T = TypeVar("T")
NowOpt = Annotated[str | None, typer.Option(help="At this ISO time (default: now).")]


def _clock(now: str | None) -> datetime:
    from insights.crm.values import RecordError, parse_time

    try:
        return (parse_time(now, "--now") if now else None) or datetime.now(UTC)
    except RecordError as exc:
        raise typer.BadParameter(str(exc)) from None


def _session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = make_engine(data_settings().database_url)
        await upgrade(engine)
        try:
            async with make_sessionmaker(engine)() as s:
                out = await work(s)
                await s.commit()
                return out
        finally:
            await engine.dispose()

    return run(go())


async def _viewer(s: AsyncSession, account: str, user_id: str) -> Any:
    from insights.permissions import load_viewer

    viewer = await load_viewer(s, account, user_id)
    if viewer is None:
        err.print(f"[red]No user {user_id} in account {account}[/]")
        raise typer.Exit(2)
    return viewer


async def _profile(s: AsyncSession, account: str, profile: str | None) -> Any:
    from insights.health.profiles import profiles_of

    found = [p for p in await profiles_of(s, account, active_only=profile is None) if profile in (None, p.id)]
    if not found:
        err.print(f"[red]No health profile {profile or '(active)'} in account {account}[/]")
        raise typer.Exit(2)
    return found[0]


@health_app.command("recompute")
def recompute_cmd(account: str = "demo", now: NowOpt = None) -> None:
    """Score every company under each active profile, snapshot the day, raise alerts."""
    from insights.health.recompute import recompute

    clock = _clock(now)
    result = _session(lambda s: recompute(s, account, clock))
    console.print(
        f"{result.profiles} profiles, {result.scored} scores, {result.changed} changed, "
        f"{result.alerts} alerts, {result.deals_bumped} deals' insights moved"
    )


@health_app.command("summary")
def summary_cmd(user_id: str, account: str = "demo", profile: str | None = None, now: NowOpt = None) -> None:
    """Average and share per category over the records USER_ID may see."""
    from insights.health.recompute import ensure_fresh
    from insights.health.service import summary

    clock = _clock(now)

    async def work(s: AsyncSession) -> Any:
        viewer = await _viewer(s, account, user_id)
        await ensure_fresh(s, account, clock)
        return await summary(s, viewer, await _profile(s, account, profile), 30, clock)

    got = _session(work)
    table = Table(
        "category", "records", "%", title=f"{got.profile_name}: {got.records} records, average {got.average}"
    )
    for c in got.categories:
        table.add_row(c.category, str(c.count), f"{c.percent:g}")
    console.print(table)


@health_app.command("records")
def records_cmd(
    user_id: str,
    account: str = "demo",
    profile: str | None = None,
    category: str | None = None,
    now: NowOpt = None,
) -> None:
    """The records USER_ID may see with their score and category (lowest first)."""
    from insights.health.recompute import ensure_fresh
    from insights.health.service import records

    if category not in (None, "at_risk", "neutral", "good"):
        raise typer.BadParameter("category is one of at_risk, neutral, good")
    clock = _clock(now)

    async def work(s: AsyncSession) -> Any:
        viewer = await _viewer(s, account, user_id)
        await ensure_fresh(s, account, clock)
        return await records(s, viewer, await _profile(s, account, profile), category, 200, 0)  # type: ignore[arg-type]

    table = Table("id", "name", "score", "category")
    for r in _session(work).items:
        table.add_row(r.id, r.name, f"{r.score:g}", r.category)
    console.print(table)


@health_app.command("alerts")
def alerts_cmd(user_id: str, account: str = "demo", now: NowOpt = None) -> None:
    """USER_ID's active health alerts."""
    from insights.health.recompute import ensure_fresh
    from insights.health.service import alerts

    clock = _clock(now)

    async def work(s: AsyncSession) -> Any:
        viewer = await _viewer(s, account, user_id)
        await ensure_fresh(s, account, clock)
        return await alerts(s, viewer, clock)

    table = Table("alert", "record", "change", "criteria", "expires")
    for a in _session(work):
        moved = ", ".join(f"{c['label']} {c['from']}→{c['to']}" for c in a.criteria)
        change = f"{a.from_category} {a.from_score:g} → {a.to_category} {a.to_score:g}"
        table.add_row(a.kind, a.record.name, change, moved, a.expires_at.date().isoformat())
    console.print(table)


@health_app.command("profiles")
def profiles_cmd(account: str = "demo") -> None:
    """The account's score profiles as JSON."""
    from insights.health.profiles import profiles_of, to_out

    async def work(s: AsyncSession) -> list[Any]:
        return [to_out(p).model_dump(mode="json") for p in await profiles_of(s, account)]

    console.print_json(json.dumps(_session(work)))


@health_app.command("profile-add")
def profile_add_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A profile as JSON")],
    account: str = "demo",
    now: NowOpt = None,
) -> None:
    """Create a score profile from a JSON body (the API's POST /v1/health/profiles shape)."""
    from pydantic import ValidationError

    from insights.health.profiles import ProfileError, ProfileIn, create_profile
    from insights.health.recompute import recompute

    try:
        body = ProfileIn.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        raise typer.BadParameter(str(exc.errors()[0]["msg"])) from None
    clock = _clock(now)

    async def work(s: AsyncSession) -> str:
        try:
            row = await create_profile(s, account, body, clock)
        except ProfileError as exc:
            err.print(f"[red]{exc.field}: {exc.message}[/]")
            raise typer.Exit(2) from None
        await recompute(s, account, clock)
        return row.id

    console.print(f"profile {_session(work)} created")
