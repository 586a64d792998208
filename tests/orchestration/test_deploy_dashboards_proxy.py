"""deploy/nginx-dashboards.conf, the TLS proxy docs/deploy.md puts in front of the dashboards:
`nginx -t` accepts it, and a real nginx on loopback ports passes HTTPS requests and the
WebSocket upgrade through to a stand-in upstream and sends plain HTTP to HTTPS."""

from __future__ import annotations

import http.client
import http.server
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from tests.orchestration import nginx_run

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx-dashboards.conf"
pytestmark = pytest.mark.skipif(nginx_run.MISSING, reason=nginx_run.MISSING_REASON)


class _Upstream(http.server.BaseHTTPRequestHandler):
    """Stands in for Streamlit: records the path and the headers that reach it, answers 200."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        body = b"dashboards"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@dataclass
class Proxy:
    https_port: int
    http_port: int


def _config(tmp: Path, https_port: int, http_port: int, upstream_port: int) -> Path:
    cert, key = nginx_run.self_signed(tmp)
    return nginx_run.main_config(
        tmp,
        SHIPPED,
        {
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/etc/ssl/certs/cvd-dashboards.pem": str(cert),
            "/etc/ssl/private/cvd-dashboards.key": str(key),
            "http://127.0.0.1:8501;": f"http://127.0.0.1:{upstream_port};",
        },
    )


def test_the_shipped_dashboards_proxy_passes_nginx_syntax_check(tmp_path: Path) -> None:
    ports = (nginx_run.free_port() for _ in range(3))
    main = _config(tmp_path, *ports)
    check = nginx_run.syntax_check(tmp_path, main)
    assert check.returncode == 0, check.stderr


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """nginx with the shipped config on loopback ports, in front of :class:`_Upstream`."""
    _Upstream.seen = []
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    ports = Proxy(nginx_run.free_port(), nginx_run.free_port())
    main = _config(tmp_path, ports.https_port, ports.http_port, upstream.server_address[1])
    try:
        with nginx_run.running(tmp_path, main, ports.https_port):
            yield ports
    finally:
        upstream.shutdown()


def test_https_and_the_websocket_upgrade_reach_the_dashboards(proxy: Proxy) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    connection = http.client.HTTPSConnection(
        "127.0.0.1", proxy.https_port, context=context, timeout=10
    )
    try:
        connection.request(
            "GET",
            "/_stcore/stream",
            headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        )
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"dashboards")
        assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    finally:
        connection.close()
    [(path, headers)] = _Upstream.seen
    assert path == "/_stcore/stream"
    assert (headers["upgrade"], headers["connection"]) == ("websocket", "upgrade")
    assert headers["x-forwarded-proto"] == "https"


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    try:
        connection.request("GET", "/driver?x=1")
        response = connection.getresponse()
        assert response.status == 301
        assert response.getheader("Location") == "https://127.0.0.1/driver?x=1"
    finally:
        connection.close()
    assert _Upstream.seen == []
