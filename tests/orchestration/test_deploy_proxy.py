"""deploy/nginx-dagster.conf, the proxy docs/deploy.md puts in front of the Dagster UI: a real
nginx on a loopback port in front of a tiny upstream. A POST whose Origin is foreign is refused
(403) and never reaches the upstream; a same-origin one with the password passes; none without it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx-dagster.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
USER, PASSWORD = "ops", "proxy-password-1"
pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists() or not shutil.which("openssl"),
    reason="nginx or openssl is not installed (apt-get install nginx)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp / "key.pem"),
            "-out",
            str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    (tmp / "htpasswd").write_text(f"{USER}:{{SHA}}{digest}\n")
    server = SHIPPED.read_text()
    for shipped, filled in {
        "listen 443 ssl;": f"listen 127.0.0.1:{proxy_port} ssl;",
        "/etc/ssl/certs/cvd-dagster.pem": str(tmp / "cert.pem"),
        "/etc/ssl/private/cvd-dagster.key": str(tmp / "key.pem"),
        "/etc/nginx/cvd-dagster.htpasswd": str(tmp / "htpasswd"),
        "http://127.0.0.1:3000;": f"http://127.0.0.1:{upstream_port};",
    }.items():
        assert shipped in server, f"{shipped} is no longer in {SHIPPED.name}"
        server = server.replace(shipped, filled)
    (tmp / "dagster.conf").write_text(server)
    main = tmp / "nginx.conf"
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the tmp files
    main.write_text(
        f"{user}pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp};\n"
        f"  proxy_temp_path {tmp};\n  include {tmp / 'dagster.conf'};\n}}\n"
    )
    return main


def test_the_shipped_proxy_config_passes_nginx_syntax_check(tmp_path: Path) -> None:
    main = _config(tmp_path, _free_port(), _free_port())
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """nginx with the shipped config on a loopback port, in front of :class:`_Upstream`."""
    _Upstream.seen = []
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = _free_port()
    main = _config(tmp_path, port, upstream.server_address[1])
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "nginx did not listen within 20 s"
            time.sleep(0.1)
        yield Proxy(port, _Upstream.seen)
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
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
