"""``/healthz`` (the process lives), ``/readyz`` (what the service depends on, check by check)
and ``/metrics`` (Prometheus text: scope ``metrics``, or any client on loopback)."""

from __future__ import annotations

import shutil
import time
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.auth import require_or_loopback
from api.config import ApiConfig
from api.dagster_status import dagster_status
from api.errors import ApiError
from api.metrics import Metrics
from api.warehouse import open_warehouse
from ingest.ledger import delivery_counts
from operations.permissions import SYSTEM
from operations.services.monitoring import SIGN_IN_FAILED, count_actions
from operations.services.tokens import TokenUse

router = APIRouter(tags=["health"])
QUARANTINED_SQL = "SELECT count(DISTINCT sha256) FROM quarantine"


@router.get("/healthz", summary="The process lives (no token)")
async def healthz() -> dict[str, str]:
    """Always ``200 {"status": "ok"}`` while the process serves."""
    return {"status": "ok"}


def _check_database(request: Request) -> dict[str, Any]:
    try:
        with request.app.state.engine.connect() as con:
            con.execute(text("SELECT 1"))
    except Exception as error:
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True}


def _check_warehouse(config: ApiConfig) -> dict[str, Any]:
    path = config.settings.warehouse
    if not path.exists():
        return {"ok": False, "error": "no warehouse yet"}
    age = time.time() - path.stat().st_mtime
    return {
        "ok": age <= config.warehouse_max_age_s,
        "age_s": round(age, 1),
        "max_age_s": config.warehouse_max_age_s,
    }


def _check_disk(config: ApiConfig) -> dict[str, Any]:
    free = shutil.disk_usage(config.settings.home).free
    return {
        "ok": free >= config.min_free_bytes,
        "free_bytes": free,
        "min_free_bytes": config.min_free_bytes,
    }


def _check_daemon(config: ApiConfig) -> dict[str, Any]:
    status = dagster_status(config.settings.dagster_home)
    age = status.daemon_heartbeat_age_s if status else None
    if age is None:
        return {"ok": False, "error": "no Dagster daemon heartbeat recorded"}
    return {
        "ok": age <= config.daemon_max_age_s,
        "heartbeat_age_s": round(age, 1),
        "max_age_s": config.daemon_max_age_s,
    }


def readiness(request: Request) -> dict[str, dict[str, Any]]:
    """Each check: ``ok`` and its figures (or ``error``)."""
    config: ApiConfig = request.app.state.config
    checks = {
        "database": _check_database,
        "warehouse": lambda _r: _check_warehouse(config),
        "disk": lambda _r: _check_disk(config),
        "dagster_daemon": lambda _r: _check_daemon(config),
    }
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check(request)
        except Exception as error:
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return results


@router.get("/readyz", summary="Ready to serve: each dependency checked (no token)")
async def readyz(request: Request) -> JSONResponse:
    """``200`` when every check passes, else ``503``; the body lists every check."""
    checks = await run_in_threadpool(readiness, request)
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


def _platform_lines(request: Request) -> list[str]:
    config: ApiConfig = request.app.state.config
    deliveries, contents = delivery_counts(config.settings.archive, config.settings.ledger_url)
    lines = [
        "# HELP cvd_files_received_total Deliveries recorded in the archive's ledger.",
        "# TYPE cvd_files_received_total counter",
        f"cvd_files_received_total {deliveries}",
        "# HELP cvd_files_distinct Distinct contents among them.",
        "# TYPE cvd_files_distinct gauge",
        f"cvd_files_distinct {contents}",
    ]
    try:
        with open_warehouse(config.settings.warehouse, config.settings.lake) as con:
            row = con.execute(QUARANTINED_SQL).fetchone()
        lines += [
            "# HELP cvd_files_quarantined Distinct files quarantined (warehouse `quarantine`).",
            "# TYPE cvd_files_quarantined gauge",
            f"cvd_files_quarantined {int(row[0]) if row else 0}",
        ]
    except (ApiError, duckdb.Error):  # no warehouse yet: the figure is absent
        pass
    status = dagster_status(config.settings.dagster_home)
    if status is not None:
        if status.last_success_age_s is not None:
            lines += [
                "# HELP cvd_last_success_age_seconds Seconds since the last successful run ended.",
                "# TYPE cvd_last_success_age_seconds gauge",
                f"cvd_last_success_age_seconds {status.last_success_age_s:.1f}",
            ]
        lines += [
            "# HELP cvd_run_failures_total Dagster runs that failed.",
            "# TYPE cvd_run_failures_total counter",
            f"cvd_run_failures_total {status.failed_runs}",
        ]
    failed = count_actions(request.app.state.engine, SYSTEM, (SIGN_IN_FAILED,))[SIGN_IN_FAILED]
    lines += [
        "# HELP cvd_sign_in_failures_total Failed dashboard sign-ins (audit log).",
        "# TYPE cvd_sign_in_failures_total counter",
        f"cvd_sign_in_failures_total {failed}",
    ]
    return lines


@router.get("/metrics", summary="Prometheus metrics (scope metrics, or from loopback)")
async def metrics(
    request: Request,
    _token: Annotated[TokenUse | None, Depends(require_or_loopback("metrics"))],
) -> PlainTextResponse:
    """The platform's figures and this process's request counts and latencies."""
    platform = await run_in_threadpool(_platform_lines, request)
    own: Metrics = request.app.state.metrics
    body = "\n".join([*platform, *own.render()]) + "\n"
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
