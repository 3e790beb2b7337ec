"""``insights health ...`` on the test database: recompute at a fixed clock, then summary and alerts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from insights.cli import app
from tests.health.helpers import NOW, REP, P, World, ago, crit


async def test_recompute_summary_and_alerts_from_the_command_line(
    w: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w.company("r1", REP)
    w.company("r2", REP)
    w.act("meeting", "company:r1", ago(29.5))
    w.act("meeting", "company:r2", ago(2))
    await w.save()
    monkeypatch.setenv("DATABASE_URL", database_url)
    body = {"name": "Engagement", "criteria": [crit("meetings_last_n_days", [1], [0, 100])]}
    (tmp_path / "p.json").write_text(json.dumps(body))
    runner = CliRunner()

    async def cli(*args: str) -> Any:  # in a thread: the command runs its own event loop
        return await asyncio.to_thread(runner.invoke, app, list(args))

    at = NOW.isoformat()
    tomorrow = NOW.replace(day=NOW.day + 1).isoformat()
    added = await cli("health", "profile-add", str(tmp_path / "p.json"), "--account", P, "--now", at)
    assert added.exit_code == 0, added.output
    again = await cli("health", "recompute", "--account", P, "--now", tomorrow)
    assert again.exit_code == 0 and "2 scores, 1 changed, 1 alerts" in again.output, again.output
    summary = await cli("health", "summary", REP, "--account", P, "--now", tomorrow)
    assert summary.exit_code == 0 and "│ at_risk  │ 1       │ 50 │" in summary.output, summary.output
    alerts = await cli("health", "alerts", REP, "--account", P, "--now", tomorrow)
    assert "category_change" in alerts.output and "Co r1" in alerts.output and "Co r2" not in alerts.output
    bad = await cli("health", "recompute", "--account", P, "--now", "yesterday")
    assert bad.exit_code == 2
