"""Settings from the environment: one object, passed around (never a hidden global)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_KEY = "dev-only-insecure-key-change-me-0123456789"


def default_database_url() -> str:
    data_dir = Path(user_data_dir("deal-insights", appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'insights.db'}"


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

    environment: str = Field("development", alias="INSIGHTS_ENV")
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
    # "sections" = three concurrent calls sharing one context prefix.
    model_call_mode: str = Field("combined", alias="INSIGHTS_MODEL_CALL_MODE")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    token_key: str = Field(DEV_TOKEN_KEY, alias="INSIGHTS_TOKEN_KEY")
    token_ttl_s: int = Field(12 * 3600, alias="INSIGHTS_TOKEN_TTL")
    refresh_per_minute: int = Field(6, alias="INSIGHTS_REFRESH_PER_MINUTE")
    max_body_bytes: int = Field(50 * 1024 * 1024, alias="INSIGHTS_MAX_BODY_BYTES")
    log_level: str = Field("INFO", alias="INSIGHTS_LOG_LEVEL")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        return async_database_url(v)

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.environment != "development" and self.token_key == DEV_TOKEN_KEY:
            raise ValueError("INSIGHTS_TOKEN_KEY must be set outside development")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
