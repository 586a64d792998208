"""The app factory: one FastAPI app per configuration, its routers per concern."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import errors, health, intake, reads
from api.config import ApiConfig
from api.dagster_status import dagster_status
from api.logs import RequestLog
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from operations import db
from orchestration.settings import Settings

DESCRIPTION = """DEX intake for telemetry providers and handheld uploaders, the read API for
accounting, ERP and BI, and health and metrics for monitoring. Every endpoint but `/healthz`
and `/readyz` takes `Authorization: Bearer TOKEN` (a token from `cvd tokens add`)."""


def create_app(settings: Settings | ApiConfig) -> FastAPI:
    """The API over the CVD home of ``settings`` (with default limits) or of a full config."""
    config = settings if isinstance(settings, ApiConfig) else ApiConfig(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.connect(config.settings.database_url)
        db.require_current(engine)  # refuse to serve on a schema without the tokens table
        app.state.engine = engine
        # Dagster takes seconds to import: pay it at start, not in the first /readyz
        await run_in_threadpool(dagster_status, config.settings.dagster_home)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="CVD API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
    )
    app.state.config = config
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter(config.rate_per_second, config.burst)
    errors.install(app)
    app.include_router(intake.router)
    app.include_router(reads.router)
    app.include_router(health.router)
    app.add_middleware(RequestLog, metrics=app.state.metrics)
    return app
