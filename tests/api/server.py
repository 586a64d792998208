"""The real API under uvicorn on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from api.app import create_app
from api.config import ApiConfig


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Running:
    """A served API: where, and the app (its metrics and limiter are the process's)."""

    url: str
    app: object
    host: str
    port: int


@contextmanager
def serve(config: ApiConfig, host: str = "127.0.0.1") -> Iterator[Running]:
    """Serve ``config`` until the block ends; wait until it answers first."""
    app = create_app(config)
    port = free_port(host)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive(), "the API server stopped while starting"
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.05)
        url = f"http://{host}:{port}"
        assert httpx.get(f"{url}/healthz").status_code == 200
        yield Running(url, app, host, port)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
