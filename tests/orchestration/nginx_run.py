"""A real nginx for the deploy/ proxy tests: a self-signed certificate, a main config that
includes one shipped server file, and nginx running it on loopback ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MISSING = not Path(NGINX).exists() or not shutil.which("openssl")
MISSING_REASON = "nginx or openssl is not installed (apt-get install nginx)"


def free_port() -> int:
    """A TCP port of the loopback that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A one-day certificate for 127.0.0.1 and its key, in ``tmp``."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]  # noqa: RUF005
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def main_config(tmp: Path, shipped: Path, replacements: dict[str, str]) -> Path:
    """``shipped`` with only its CHANGE values replaced, included in a main config in ``tmp``."""
    server = shipped.read_text()
    for old, new in replacements.items():
        assert old in server, f"{old} is no longer in {shipped.name}"
        server = server.replace(old, new)
    (tmp / "server.conf").write_text(server)
    main = tmp / "nginx.conf"
    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read the tmp files
    main.write_text(
        f"{user}pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp};\n"
        f"  proxy_temp_path {tmp};\n  include {tmp / 'server.conf'};\n}}\n"
    )
    return main


def syntax_check(tmp: Path, main: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` over ``main``."""
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp), "-c", str(main)], capture_output=True, text=True, check=False
    )


@contextmanager
def running(tmp: Path, main: Path, port: int) -> Iterator[None]:
    """nginx over ``main`` until the block ends, once it listens on ``port``."""
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(main), "-g", "daemon off;"],
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
        yield
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
