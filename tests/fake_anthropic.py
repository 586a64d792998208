"""A stand-in for the Anthropic Messages API on a loopback port, for code that builds its own
client (the dashboards, the CLI): ``ANTHROPIC_BASE_URL`` points the SDK at it. It answers every
``POST /v1/messages`` with the next scripted reply and keeps the request bodies. Only the API is
faked; the SDK, its HTTP and everything of ours run for real."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeMessagesAPI:
    """The scripted replies (the last one repeats) and the requests received."""

    def __init__(self, *replies: dict[str, Any]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def next_reply(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record ``body`` and return the reply for it."""
        self.requests.append(body)
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@contextmanager
def serving(api: FakeMessagesAPI) -> Iterator[FakeMessagesAPI]:
    """Serve ``api`` on 127.0.0.1 (a free port) until the block ends; ``api.url`` is its base."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            payload = json.dumps(api.next_reply(body)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("request-id", f"req_fake_{len(api.requests)}")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
