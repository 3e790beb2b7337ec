"""The FastAPI app: thin over ``insights``. ``create_app(settings)`` is the only entry point."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from api.deps import SessionDep, storable_parameters
from api.errors import V1_PROBLEMS, install_error_handlers, problem, problem_responses
from api.hotpath import CachedInsightFastPath
from api.middleware import ServiceMiddleware
from api.ratelimit import SlidingWindow
from api.routers import account_settings, crm_import, deals, guided_actions, health, insights
from insights.core import metrics
from insights.core.config import Settings, get_settings
from insights.core.db import make_engine, make_sessionmaker
from insights.core.migrate import upgrade
from insights.core.readonly import open_readonly
from insights.core.tokens import TokenVerifier
from insights.insight.cache import make_cache
from insights.insight.hit import HitPath
from insights.insight.llm import LLM, quiet_prompt_loggers
from insights.insight.service import InsightService
from insights.jobs import Jobs
from insights.jobs.embedded import start_consumer, stop_consumer
from insights.jobs.models import ParkedJob
from insights.permissions.viewer import ViewerCache

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("api.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level)
    quiet_prompt_loggers(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        await upgrade(engine)  # Alembic: create or upgrade the schema
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        reader = await open_readonly(engine)  # the cached read's one statement, without a session
        app.state.hits = None if reader is None else HitPath(app.state.insights, reader)
        if settings.model:
            LLM.warm_up()  # litellm's import costs seconds: pay it at start, not on a request
        consumer = start_consumer(app.state.jobs) if app.state.jobs and settings.jobs_in_process else None
        try:
            yield
        finally:
            if consumer is not None:
                await asyncio.to_thread(stop_consumer, consumer)
                app.state.jobs.close()
            if reader is not None:
                await reader.close()
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
    app.state.tokens = TokenVerifier(settings.token_key)
    app.state.hits = None  # set by the lifespan
    app.state.jobs = None
    if settings.jobs != "off":  # background rebuilds; the service asks the queue what is pending
        service = app.state.insights
        app.state.jobs = service.rebuilds = Jobs(settings, cache=service.cache, clock=lambda: service.clock())
    install_error_handlers(app)

    app.add_middleware(CachedInsightFastPath)  # the cached insight read, before routing (hotpath.py)
    app.add_middleware(ServiceMiddleware, max_body_bytes=settings.max_body_bytes)  # outermost

    # Every /v1 answer other than success is a documented Problem (problem+json).
    checked = [Depends(storable_parameters)]
    for module in (deals, account_settings, crm_import, guided_actions, health):
        app.include_router(module.router, responses=V1_PROBLEMS, dependencies=checked)
    problems = {**V1_PROBLEMS, **problem_responses(429)}
    app.include_router(insights.router, responses=problems, dependencies=checked)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=problem_responses(503))
    async def readyz(session: SessionDep) -> JSONResponse:
        try:
            await session.execute(text("SELECT 1"))
        except Exception as exc:  # whatever the driver raises, the probe's answer is "not ready"
            log.warning("readiness check failed: %s: %s", type(exc).__name__, str(exc)[:200])
            return problem(503, "The database is unreachable.")
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus(session: SessionDep) -> Response:
        # parked jobs are rows, so every process reports the same number, whichever parked them
        metrics.JOBS_PARKED.set(await session.scalar(select(func.count()).select_from(ParkedJob)) or 0)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if settings.dev_endpoints:  # DemoSettings only (``insights demo``): never from the environment
        from api.routers import dev

        app.include_router(dev.router)
    if STATIC.is_dir():
        app.mount("/widget", StaticFiles(directory=STATIC, html=True), name="widget")

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/widget/")

    return app
