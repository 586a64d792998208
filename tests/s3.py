"""A real S3 API server for tests: ``moto`` in server mode on a free loopback port.

Fixtures: ``s3_server`` (one server per session, started as its own process and stopped
after) and ``s3_bucket`` (a fresh bucket per test, with the ``AWS_*`` variables a CVD process
reads). The server speaks the S3 wire protocol over HTTP, so the code under test goes through
s3fs and botocore exactly as against AWS S3 or MinIO.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from transforms.objectstore import ObjectStoreConfig

START_TIMEOUT_S = 30
KEY_ID = "cvd-test"
SECRET = "cvd-test-secret"
REGION = "us-east-1"
_buckets = itertools.count(1)


@dataclass(frozen=True)
class S3Server:
    """A running server: its endpoint."""

    endpoint: str

    def config(self) -> ObjectStoreConfig:
        """How CVD reaches it."""
        return ObjectStoreConfig(
            endpoint_url=self.endpoint,
            access_key_id=KEY_ID,
            secret_access_key=SECRET,
            region=REGION,
        )

    def env(self) -> dict[str, str]:
        """The standard variables a CVD process reads (``orchestration.settings``)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_REGION": REGION,
        }

    def create_bucket(self, name: str) -> None:
        """Make an empty bucket."""
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )
        client.create_bucket(Bucket=name)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"moto_server did not answer at {endpoint} in {START_TIMEOUT_S}s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A moto S3 server on 127.0.0.1, for the whole session."""
    binary = shutil.which("moto_server")
    if binary is None:
        pytest.skip("moto_server is not installed (uv sync installs it with the dev group)")
    port = _free_loopback_port()
    log = Path(tmp_path_factory.mktemp("moto")) / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
        )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_until_up(endpoint, process)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new empty bucket's name (one per test: tests never see each other's objects)."""
    name = f"cvd-test-{os.getpid()}-{next(_buckets)}"
    s3_server.create_bucket(name)
    return name
