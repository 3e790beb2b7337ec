"""``insights model serve-local``: the settings it prints point the service at the local server,
whose loopback address selects llama.cpp's schema form and the server's own tokenizer."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from insights.cli import app
from insights.core.config import Settings
from insights.insight.llm import LLM
from insights.insight.tokens import ModelTokens


def test_print_env_gives_settings_that_select_the_local_forms(tmp_path: Path) -> None:
    gguf = tmp_path / "Tiny-Model.gguf"
    gguf.write_bytes(b"GGUF")
    result = CliRunner().invoke(
        app, ["model", "serve-local", "--gguf", str(gguf), "--port", "8597", "--print-env"]
    )
    assert result.exit_code == 0, result.output
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in result.output.splitlines()
        if line.startswith("export ")
    )
    assert env["INSIGHTS_MODEL"] == "openai/tiny-model"
    assert env["INSIGHTS_MODEL_API_BASE"] == "http://127.0.0.1:8597/v1"
    settings = Settings(INSIGHTS_ENV="development", **env)
    assert LLM(settings).form == "json_object_schema" and LLM(settings).local
    assert ModelTokens.for_settings(settings).source == "server"
    assert settings.model_timeout_s >= 60  # a cold insight on a CPU model takes about a minute


def test_a_missing_gguf_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", "serve-local", "--gguf", str(tmp_path / "none.gguf")])
    assert result.exit_code == 2 and "GGUF" in result.output
