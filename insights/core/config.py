"""Settings from the environment: one object, passed around (never a hidden global)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Public (it is in this file): accepted only with an explicit INSIGHTS_ENV=development.
DEV_TOKEN_KEY = "dev-only-insecure-key-change-me-0123456789"
MIN_TOKEN_KEY_BYTES = 32
CallMode = Literal["combined", "sections"]
# How the answer's JSON schema is sent (llm.response_format): auto picks per provider.
SchemaMode = Literal["auto", "json_schema", "json_object_schema", "json_object"]
# Whose tokens the budget counts in (tokens.py): auto = the server's tokenizer for a loopback server.
TokenizerMode = Literal["auto", "server", "tiktoken"]


def data_dir() -> Path:
    """The user data dir: the default SQLite database and the demo's token key live here."""
    return Path(user_data_dir("deal-insights", appauthor=False))


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{data_dir() / 'insights.core.db'}"


def async_database_url(url: str) -> str:
    """Accept the plain URL people paste and pick the async driver ourselves."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+asyncpg://" + url[len("postgresql+psycopg2://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Fail closed: a deployment that sets nothing is production (no dev key, no dev endpoints).
    environment: str = Field("production", alias="INSIGHTS_ENV")
    database_url: str = Field(default_factory=default_database_url, alias="DATABASE_URL")
    model: str | None = Field(None, alias="INSIGHTS_MODEL")
    model_api_base: str | None = Field(None, alias="INSIGHTS_MODEL_API_BASE")
    model_api_key: str | None = Field(None, alias="INSIGHTS_MODEL_API_KEY")
    # Offline litellm has no model info for ollama/vllm models: the budget needs a number.
    model_context_tokens: int | None = Field(None, alias="INSIGHTS_MODEL_CONTEXT_TOKENS")
    model_timeout_s: float = Field(20.0, alias="INSIGHTS_MODEL_TIMEOUT")
    model_total_budget_s: float = Field(45.0, alias="INSIGHTS_MODEL_TOTAL_BUDGET")
    model_max_retries: int = Field(3, alias="INSIGHTS_MODEL_MAX_RETRIES")
    # "combined" = one call (default: same latency, a third of the input tokens, see bench_pipeline);
    # "sections" = three concurrent calls sharing one context prefix. Any other value fails at start.
    model_call_mode: CallMode = Field("combined", alias="INSIGHTS_MODEL_CALL_MODE")
    # auto: json_schema where litellm says the model supports it, json_object + schema for an
    # OpenAI-compatible server on loopback (llama.cpp), else plain json_object. See llm.response_format.
    model_schema_mode: SchemaMode = Field("auto", alias="INSIGHTS_MODEL_SCHEMA_MODE")
    model_tokenizer: TokenizerMode = Field("auto", alias="INSIGHTS_MODEL_TOKENIZER")
    # Cap on the answer's tokens (max_tokens on every call); a section's own budget may be lower.
    model_max_output_tokens: int = Field(1200, alias="INSIGHTS_MODEL_MAX_OUTPUT_TOKENS", ge=64)
    redis_url: str | None = Field(None, alias="REDIS_URL")
    token_key: str = Field("", alias="INSIGHTS_TOKEN_KEY")
    token_ttl_s: int = Field(12 * 3600, alias="INSIGHTS_TOKEN_TTL")
    refresh_per_minute: int = Field(6, alias="INSIGHTS_REFRESH_PER_MINUTE")
    max_body_bytes: int = Field(50 * 1024 * 1024, alias="INSIGHTS_MAX_BODY_BYTES")
    log_level: str = Field("INFO", alias="INSIGHTS_LOG_LEVEL")
    # Opt-in: lets litellm's own loggers follow INSIGHTS_LOG_LEVEL, and they write whole prompts.
    log_prompts: bool = Field(False, alias="INSIGHTS_LOG_PROMPTS")
    # Background jobs (insights/jobs, on Huey): "off", "redis" (production: `insights worker`
    # processes) or "sqlite" (one machine; `insights demo` runs its consumer in process).
    jobs: Literal["off", "redis", "sqlite"] = Field("off", alias="INSIGHTS_JOBS")
    jobs_url: str | None = Field(None, alias="INSIGHTS_JOBS_URL")  # Redis URL / SQLite file; see jobs/queue
    jobs_name: str = Field("deal-insights", alias="INSIGHTS_JOBS_NAME")  # one queue per deployment
    jobs_in_process: bool = Field(False, alias="INSIGHTS_JOBS_IN_PROCESS")
    jobs_workers: int = Field(2, alias="INSIGHTS_JOBS_WORKERS")
    # model failures in a rebuild: retried after d, 3d, 9d seconds, then the job is parked
    jobs_retry_delay_s: float = Field(2.0, gt=0, alias="INSIGHTS_JOBS_RETRY_DELAY")
    rules_every_minutes: int = Field(5, ge=1, le=60, alias="INSIGHTS_RULES_EVERY_MINUTES")
    rebuild_viewed_days: float = Field(3.0, alias="INSIGHTS_REBUILD_VIEWED_DAYS")
    rebuild_calls_per_hour: int = Field(300, ge=0, alias="INSIGHTS_REBUILD_CALLS_PER_HOUR")
    # the insight of the day is rebuilt for tomorrow from this minute of 23:xx UTC
    day_ahead_minute: int = Field(40, ge=0, le=59, alias="INSIGHTS_DAY_AHEAD_MINUTE")
    # Not a field: no environment variable can turn the unauthenticated dev endpoints on.
    dev_endpoints: ClassVar[bool] = False

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        return async_database_url(v)

    @model_validator(mode="after")
    def _token_key_fails_closed(self) -> Settings:
        if self.environment == "development":
            self.token_key = self.token_key or DEV_TOKEN_KEY
            return self
        hint = "set it to a random secret, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        if not self.token_key:
            raise ValueError(f"INSIGHTS_TOKEN_KEY is required outside INSIGHTS_ENV=development: {hint}")
        if self.token_key == DEV_TOKEN_KEY:
            raise ValueError(f"INSIGHTS_TOKEN_KEY is the public development key: {hint}")
        if len(self.token_key.encode()) < MIN_TOKEN_KEY_BYTES:
            raise ValueError(f"INSIGHTS_TOKEN_KEY must be at least {MIN_TOKEN_KEY_BYTES} bytes: {hint}")
        return self


class DemoSettings(Settings):
    """What ``insights demo`` runs with: the same settings plus the widget's dev endpoints."""

    dev_endpoints: ClassVar[bool] = True


@lru_cache
def get_settings() -> Settings:
    return Settings()


class _TokenKeyOnly(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    token_key: str = Field("", alias="INSIGHTS_TOKEN_KEY")


def demo_key_path() -> Path:
    return data_dir() / "demo-token-key"


def read_demo_key() -> str | None:
    try:
        return demo_key_path().read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def demo_key() -> str:
    """The demo's signing key: random, written once (mode 0600) beside the default database."""
    path = demo_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # an earlier demo run wrote it
        if key := read_demo_key():
            return key
        raise RuntimeError(f"{path} is empty: delete it and run `insights demo` again") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        key = secrets.token_urlsafe(48)
        f.write(key)
    return key


def demo_settings() -> DemoSettings:
    """Settings of ``insights demo``: INSIGHTS_TOKEN_KEY when set, else the demo key file."""
    # the demo runs its jobs in process on a SQLite queue beside its database, unless told otherwise
    jobs: dict[str, Any] = {}
    if "INSIGHTS_JOBS" not in os.environ:
        jobs = {"INSIGHTS_JOBS": "sqlite", "INSIGHTS_JOBS_IN_PROCESS": True}
    if _TokenKeyOnly().token_key:
        return DemoSettings(**jobs)
    return DemoSettings(INSIGHTS_TOKEN_KEY=demo_key(), **jobs)


def local_settings() -> Settings:
    """Settings of the local commands (token, import, users…): the demo's key unless one is configured,
    so they work beside ``insights demo`` with nothing set. Servers use ``get_settings()``."""
    if not _TokenKeyOnly().token_key and (key := read_demo_key()):
        return Settings(INSIGHTS_TOKEN_KEY=key)
    return get_settings()


def data_settings() -> Settings:
    """Settings of the local commands that read or write data but never sign or verify a token
    (import, export, users, actions, health): as ``local_settings``, except that with no key
    anywhere they use a throwaway one, so ``insights import`` works on a fresh machine."""
    if _TokenKeyOnly().token_key or read_demo_key():
        return local_settings()
    return Settings(INSIGHTS_TOKEN_KEY=secrets.token_urlsafe(48))
