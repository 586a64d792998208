"""Run the API under uvicorn (`cvd api`, and the API process of `cvd up`)."""

from __future__ import annotations

import logging

import uvicorn

from api import logs
from api.app import create_app
from api.config import ApiConfig

log = logging.getLogger("cvd.api")


def run(config: ApiConfig, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until SIGINT/SIGTERM; every log line JSON on stderr (no access log of uvicorn's:
    the request log line is ours)."""
    logs.configure()
    log.info(
        "serving", extra={"fields": {"host": host, "port": port, "home": str(config.settings.home)}}
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        proxy_headers=False,  # client addresses decide loopback-only /metrics: never trust headers
    )
