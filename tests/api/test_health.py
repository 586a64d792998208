"""`/healthz`, `/readyz` and `/metrics` over real HTTP."""

from __future__ import annotations

import socket
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from api.config import ApiConfig
from operations import auth, db
from operations.errors import AuthenticationError
from operations.permissions import SYSTEM
from operations.services.users import add_user
from orchestration.settings import Settings
from tests.api.conftest import Tokens, make_tokens
from tests.api.server import Running, serve


def _beat(settings: Settings, at: float) -> None:
    """Record a Dagster daemon heartbeat in the home's Dagster storage, as the daemon does."""
    import dagster as dg
    from dagster._daemon.types import DaemonHeartbeat

    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    instance.add_daemon_heartbeat(DaemonHeartbeat(at, "SENSOR", "test-daemon", None))


def test_healthz_needs_nothing(read_api: tuple[Running, Tokens]) -> None:
    running, _ = read_api
    answer = httpx.get(f"{running.url}/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_readyz_reports_every_check_503_then_200(read_home: Settings) -> None:
    config = ApiConfig(read_home, daemon_max_age_s=120.0)
    with serve(config) as running:
        _beat(read_home, time.time() - 3600)  # a daemon that stopped an hour ago
        stale = httpx.get(f"{running.url}/readyz")
        assert stale.status_code == 503
        checks = stale.json()["checks"]
        assert set(checks) == {"database", "warehouse", "disk", "dagster_daemon"}
        assert checks["dagster_daemon"]["ok"] is False
        assert checks["dagster_daemon"]["heartbeat_age_s"] >= 3600
        assert checks["database"] == {"ok": True}
        assert checks["warehouse"]["ok"] is True

        _beat(read_home, time.time())
        ready = httpx.get(f"{running.url}/readyz")
        assert ready.status_code == 200, ready.text
        assert all(c["ok"] for c in ready.json()["checks"].values())

    # a disk with less room than required, a warehouse older than allowed: 503, each named
    strict = replace(config, min_free_bytes=1 << 60, warehouse_max_age_s=0.0)
    with serve(strict) as running:
        answer = httpx.get(f"{running.url}/readyz")
        assert answer.status_code == 503
        checks = answer.json()["checks"]
        assert checks["disk"]["ok"] is False and checks["warehouse"]["ok"] is False
        assert checks["database"]["ok"] is True


def test_readyz_without_a_warehouse_or_daemon_is_503(tmp_path: Path) -> None:
    from tests.api.conftest import empty_home

    with serve(ApiConfig(empty_home(tmp_path / "home"))) as running:
        answer = httpx.get(f"{running.url}/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["warehouse"] == {"ok": False, "error": "no warehouse yet"}
    assert checks["dagster_daemon"]["ok"] is False


def _metric(text: str, name: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name)]
    assert len(values) == 1, (name, values)
    return values[0]


def test_metrics_from_loopback_carry_the_platforms_figures(
    read_api: tuple[Running, Tokens], read_home: Settings
) -> None:
    running, _ = read_api
    engine = db.connect(read_home.database_url)
    auth.use_fast_hashing_for_tests()
    add_user(engine, SYSTEM, username="mallory", role="viewer", password="right-password-1")
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.authenticate(engine, "mallory", "wrong-password-1")
    engine.dispose()
    for _ in range(3):
        httpx.get(f"{running.url}/v1/machines", headers={"Authorization": "Bearer nope"})

    text = httpx.get(f"{running.url}/metrics").text  # loopback: no token needed
    with sqlite3.connect(read_home.archive / "ledger.sqlite") as con:
        (deliveries,) = con.execute("SELECT count(*) FROM deliveries").fetchone()
    files = sum(1 for p in (read_home.home / "inbox").rglob("*") if p.is_file())
    assert files == 0  # everything the demo made was received
    assert _metric(text, "cvd_files_received_total ") == deliveries > 0
    assert _metric(text, "cvd_sign_in_failures_total ") == 2
    assert _metric(text, "cvd_run_failures_total ") == 0
    assert 0 < _metric(text, "cvd_last_success_age_seconds ") < 24 * 3600
    assert _metric(text, "cvd_files_quarantined ") >= 0
    assert _metric(text, 'cvd_api_auth_failures_total{reason="invalid"}') >= 3
    assert (
        _metric(text, 'cvd_api_requests_total{method="GET",route="/v1/machines",status="401"}') >= 3
    )
    assert "# TYPE cvd_api_request_duration_seconds histogram" in text


def _non_loopback_address() -> str | None:
    """An address of this host that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_metrics_from_another_host_needs_the_metrics_scope(read_home: Settings) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this host has no non-loopback address to call from")
    tokens = make_tokens(read_home, prefix="m-")
    with serve(ApiConfig(read_home), host=address) as running:
        url = f"{running.url}/metrics"
        assert httpx.get(url).status_code == 401
        wrong = httpx.get(url, headers={"Authorization": f"Bearer {tokens.read}"})
        assert wrong.status_code == 403 and wrong.json()["error"]["status"] == 403
        right = httpx.get(url, headers={"Authorization": f"Bearer {tokens.metrics}"})
        assert right.status_code == 200
        assert "cvd_files_received_total" in right.text
