"""Defaults fail closed (issue 10, item 6): a deployment that sets nothing is production, signs with
its own key of at least 32 bytes, and serves no development endpoint."""

from __future__ import annotations

import secrets
import stat
import time
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import insights.core.config
from insights.cli import app as cli
from insights.core.config import DEV_TOKEN_KEY, DemoSettings, Settings, demo_settings, local_settings
from insights.core.tokens import verify_token
from tests.http import auth, client_for


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment of a deployment that set nothing (and no .env file in the working dir)."""
    for name in ("INSIGHTS_ENV", "INSIGHTS_TOKEN_KEY", "DEV_ENDPOINTS", "INSIGHTS_DEV_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setattr(insights.core.config, "data_dir", lambda: data)
    return data


def test_unset_environment_is_production_and_needs_a_key(bare_env: Path) -> None:
    with pytest.raises(ValidationError, match="INSIGHTS_TOKEN_KEY is required"):
        Settings()


def test_a_short_key_is_refused(bare_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHTS_TOKEN_KEY", "x" * 31)
    with pytest.raises(ValidationError, match="INSIGHTS_TOKEN_KEY must be at least 32 bytes"):
        Settings()


def test_the_public_development_key_is_refused(bare_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHTS_TOKEN_KEY", DEV_TOKEN_KEY)
    with pytest.raises(ValidationError, match="public development key"):
        Settings()


def test_no_environment_variable_turns_the_dev_endpoints_on(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSIGHTS_TOKEN_KEY", "k" * 32)
    monkeypatch.setenv("DEV_ENDPOINTS", "true")
    monkeypatch.setenv("INSIGHTS_DEV_ENDPOINTS", "true")
    s = Settings()
    assert s.environment == "production" and s.token_key == "k" * 32
    assert s.dev_endpoints is False


async def test_production_app_has_no_dev_token_and_refuses_the_dev_key(demo, database_url: str) -> None:
    prod = Settings(
        DATABASE_URL=database_url, INSIGHTS_ENV="production", INSIGHTS_TOKEN_KEY=secrets.token_urlsafe(48)
    )
    dev_signed = jwt.encode({"sub": "100", "portal": "demo", "exp": int(time.time()) + 600}, DEV_TOKEN_KEY)
    async with client_for(prod) as c:
        r = await c.get("/widget/dev-token?user=100")
        assert r.status_code == 404 and "token" not in r.text
        assert (await c.get("/widget/dev-users")).status_code == 404
        r = await c.get("/v1/settings", headers={"Authorization": f"Bearer {dev_signed}"})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert (await c.get("/v1/settings", headers=auth(prod, "100"))).status_code == 200


async def test_demo_app_serves_the_widget_its_dev_tokens(demo, database_url: str) -> None:
    s = DemoSettings(DATABASE_URL=database_url, INSIGHTS_ENV="production", INSIGHTS_TOKEN_KEY="d" * 40)
    async with client_for(s) as c:
        r = await c.get("/widget/dev-token?user=101")
    assert r.status_code == 200 and verify_token(s, r.json()["token"]).user_id == "101"


def test_demo_writes_a_private_random_key_that_token_reads(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not (bare_env / "demo-token-key").exists()
    first = demo_settings()
    path = bare_env / "demo-token-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.token_key) >= 32 and first.token_key != DEV_TOKEN_KEY
    assert first.dev_endpoints and first.environment == "production"
    assert demo_settings().token_key == first.token_key  # kept across runs
    assert local_settings().token_key == first.token_key
    monkeypatch.setattr(insights.core.config, "data_dir", lambda: bare_env.parent / "other")
    assert demo_settings().token_key != first.token_key  # random per installation


def test_configured_key_wins_over_the_demo_file(bare_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_settings()
    monkeypatch.setenv("INSIGHTS_TOKEN_KEY", "c" * 32)
    assert demo_settings().token_key == local_settings().token_key == "c" * 32


def test_readme_commands_demo_then_token(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`insights demo` (here --no-serve) in one shell, `insights token 101` in another."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    shown = runner.invoke(cli, ["demo", "--no-serve"])
    assert shown.exit_code == 0, shown.output
    printed = runner.invoke(cli, ["token", "101"])
    assert printed.exit_code == 0, printed.output
    served_with = demo_settings()  # what `insights demo` would serve with
    assert verify_token(served_with, printed.output.strip()).user_id == "101"
    ana = shown.output.split("Token for Ana (101):", 1)[1].split()[0]
    assert verify_token(served_with, ana).portal_id == "demo"
    listed = runner.invoke(cli, ["users"])  # the other local commands work beside the demo too
    assert listed.exit_code == 0 and "Ruiz" in listed.output, listed.output
    with pytest.raises(Exception, match="Signature"):
        jwt.decode(printed.output.strip(), DEV_TOKEN_KEY, algorithms=["HS256"])


def test_readme_import_works_on_a_fresh_machine_and_token_still_needs_a_key(
    bare_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`insights generate` then `insights import` with nothing set (no key, no demo run): the
    data commands sign nothing, so they need no key; `insights token` still refuses."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'scale.db'}")
    insights.core.config.get_settings.cache_clear()  # as a fresh process
    runner = CliRunner()
    made = runner.invoke(cli, ["generate", str(tmp_path / "s.jsonl"), "--deals", "3", "--activities", "20"])
    assert made.exit_code == 0, made.output
    imported = runner.invoke(cli, ["import", str(tmp_path / "s.jsonl")])
    assert imported.exit_code == 0, imported.output
    listed = runner.invoke(cli, ["users", "--account", "scale"])
    assert listed.exit_code == 0 and "Users of scale" in listed.output, listed.output
    assert not (bare_env / "demo-token-key").exists()  # no key was written for them
    refused = runner.invoke(cli, ["token", "101"])
    assert refused.exit_code != 0 and "INSIGHTS_TOKEN_KEY is required" in str(refused.exception)
