"""Helpers for tests over HTTP: the real app on the ASGI transport, tokens, settings for the
scripted model (respx on litellm's real HTTP path, see ``tests/llm_fakes.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from api.app import create_app
from insights.core.config import Settings
from insights.core.tokens import mint_token
from tests.conftest import DEMO_NOW
from tests.llm_fakes import API_BASE, MODEL


def ai_settings(settings: Settings, **extra) -> Settings:
    return settings.model_copy(
        update={
            "model": MODEL,
            "model_api_base": API_BASE,
            "model_api_key": "sk-test",
            "model_total_budget_s": 3.0,
            "model_timeout_s": 1.0,
            **extra,
        }
    )


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.state.insights.clock = lambda: DEMO_NOW  # the demo data is anchored at this clock
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


def auth(settings: Settings, user: str, portal: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, user, portal)}"}
