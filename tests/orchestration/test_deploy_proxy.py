"""deploy/nginx-dagster.conf, the proxy docs/deploy.md puts in front of the Dagster UI: a real
nginx on a loopback port in front of a tiny upstream. A POST whose Origin is foreign is refused
(403) and never reaches the upstream; a same-origin one with the password passes; none without it.
"""

from __future__ import annotations

import base64
import hashlib
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
SHIPPED = ROOT / "deploy" / "nginx-dagster.conf"
USER, PASSWORD = "ops", "proxy-password-1"
pytestmark = pytest.mark.skipif(nginx_run.MISSING, reason=nginx_run.MISSING_REASON)


class _Upstream(http.server.BaseHTTPRequestHandler):
    """Stands in for dagster-webserver: records what reaches it, answers 200."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append((self.command, self.path))
        body = b"upstream"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer  # noqa: N815  (the names BaseHTTPRequestHandler calls)
    do_POST = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        return


@dataclass
class Proxy:
    port: int
    seen: list[tuple[str, str]]


def _config(tmp: Path, proxy_port: int, upstream_port: int) -> Path:
    """The shipped server block with only its CHANGE values filled in, inside a main config."""
    cert, key = nginx_run.self_signed(tmp)
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    (tmp / "htpasswd").write_text(f"{USER}:{{SHA}}{digest}\n")
    return nginx_run.main_config(
        tmp,
        SHIPPED,
        {
            "listen 443 ssl;": f"listen 127.0.0.1:{proxy_port} ssl;",
            "/etc/ssl/certs/cvd-dagster.pem": str(cert),
            "/etc/ssl/private/cvd-dagster.key": str(key),
            "/etc/nginx/cvd-dagster.htpasswd": str(tmp / "htpasswd"),
            "http://127.0.0.1:3000;": f"http://127.0.0.1:{upstream_port};",
        },
    )


def test_the_shipped_proxy_config_passes_nginx_syntax_check(tmp_path: Path) -> None:
    main = _config(tmp_path, nginx_run.free_port(), nginx_run.free_port())
    check = nginx_run.syntax_check(tmp_path, main)
    assert check.returncode == 0, check.stderr


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """nginx with the shipped config on a loopback port, in front of :class:`_Upstream`."""
    _Upstream.seen = []
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = nginx_run.free_port()
    main = _config(tmp_path, port, upstream.server_address[1])
    try:
        with nginx_run.running(tmp_path, main, port):
            yield Proxy(port, _Upstream.seen)
    finally:
        upstream.shutdown()


def _post(proxy: Proxy, headers: dict[str, str]) -> int:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=context, timeout=10)
    try:
        body = '{"query": "mutation { startSensor }"}'
        connection.request(
            "POST", "/graphql", body=body, headers={"Content-Type": "text/plain", **headers}
        )
        return connection.getresponse().status
    finally:
        connection.close()


def _basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def test_a_foreign_origin_post_is_refused_even_with_the_password(proxy: Proxy) -> None:
    assert _post(proxy, {"Origin": "http://evil.invalid", **_basic()}) == 403
    own_host_other_port = f"https://127.0.0.1:{proxy.port + 1}"
    assert _post(proxy, {"Origin": own_host_other_port, **_basic()}) == 403
    same_origin_but_cross_site = {
        "Origin": f"https://127.0.0.1:{proxy.port}",
        "Sec-Fetch-Site": "cross-site",
        **_basic(),
    }
    assert _post(proxy, same_origin_but_cross_site) == 403
    assert proxy.seen == []  # nothing reached the Dagster UI


def test_a_same_origin_post_passes_with_the_password_only(proxy: Proxy) -> None:
    own = {"Origin": f"https://127.0.0.1:{proxy.port}"}
    assert _post(proxy, own) == 401
    assert _post(proxy, {**own, "Authorization": "Basic b3BzOndyb25n"}) == 401  # ops:wrong
    assert proxy.seen == []
    assert _post(proxy, {**own, **_basic()}) == 200
    assert _post(proxy, {**own, "Sec-Fetch-Site": "same-origin", **_basic()}) == 200
    assert proxy.seen == [("POST", "/graphql"), ("POST", "/graphql")]
