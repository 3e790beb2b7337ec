"""The FastAPI app: thin over ``insights``. ``create_app(settings)`` is the only entry point."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import SessionDep
from api.errors import install_error_handlers, problem
from api.ratelimit import SlidingWindow
from api.routers import account_settings, crm_import, deals, insights
from insights import metrics
from insights.cache import make_cache
from insights.config import Settings, get_settings
from insights.db import make_engine, make_sessionmaker
from insights.llm import LLM
from insights.migrate import upgrade
from insights.permissions.viewer import ViewerCache
from insights.pipeline import InsightService

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        await upgrade(engine)  # Alembic: create or upgrade the schema
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        if settings.model:
            LLM.warm_up()  # litellm's import costs seconds: pay it at start, not on a request
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="deal-insights",
        version="0.1.0",
        lifespan=lifespan,
        description="AI deal insights for a CRM deal sidebar, filtered by what each rep may see.",
    )
    app.state.settings = settings
    app.state.insights = InsightService(settings, make_cache(settings.redis_url))
    app.state.refresh_limiter = SlidingWindow(settings.refresh_per_minute)
    app.state.viewers = ViewerCache()
    install_error_handlers(app)

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return problem(413, "The request body is too large.")
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(time.perf_counter() - started)
        return response

    for module in (deals, insights, account_settings, crm_import):
        app.include_router(module.router)
    try:
        from api.routers import guided_actions

        app.include_router(guided_actions.router)
    except ImportError:  # the guided-actions module is optional until it lands
        pass

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    async def readyz(session: SessionDep) -> JSONResponse:
        try:
            await session.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if settings.environment == "development":
        from api.routers import dev

        app.include_router(dev.router)
    if STATIC.is_dir():
        app.mount("/widget", StaticFiles(directory=STATIC, html=True), name="widget")

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/widget/")

    return app
