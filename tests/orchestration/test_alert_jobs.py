"""The hourly alert check and the daily digest as real Dagster runs: a nightly run that failed
(a real run record the `nightly` schedule's tag marks) opens `nightly_run` alerts, a later
successful one resolves them; the digest job mails a digest subscriber through a loopback SMTP
server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from sqlalchemy import select

from operations import auth, db
from operations.permissions import SYSTEM, Actor
from operations.schema import Alert, utcnow
from operations.services import alert_subscriptions, alerts
from operations.services.alerts import Finding
from operations.services.users import add_user
from orchestration.defs.alerts.schedules import alert_check_job, alert_digest_job
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource
from tests.smtp_server import free_loopback_port, smtp_server

NIGHTLY_TAGS = {"dagster/schedule_name": "nightly"}


@dg.asset
def nightly_step() -> None:
    """Stands in for the nightly's work, succeeding."""


@dg.asset
def broken_step() -> None:
    """A nightly step that fails."""
    raise RuntimeError("the nightly broke")


def _states(url: str) -> dict[str, str]:
    engine = db.connect(url)
    try:
        with db.reading(engine) as session:
            rows = session.scalars(select(Alert).where(Alert.rule == "nightly_run")).all()
            return {a.subject_key: a.state for a in rows}
    finally:
        engine.dispose()


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, str]:
    auth.use_fast_hashing_for_tests()
    url = f"sqlite:///{tmp_path / 'cvd.sqlite'}"
    db.upgrade(url)
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()  # an (empty) warehouse, fresh
    return tmp_path, url


def test_failed_then_successful_nightly_opens_then_resolves(home: tuple[Path, str]) -> None:
    path, url = home
    resources = {
        "cvd": CvdHomeResource(home=str(path)),
        "operational_db": OperationalDatabaseResource(url=url),
    }
    with dg.instance_for_test() as instance:
        failed = dg.materialize(
            [broken_step], instance=instance, tags=NIGHTLY_TAGS, raise_on_error=False
        )
        assert not failed.success
        assert alert_check_job.execute_in_process(instance=instance, resources=resources).success
        assert _states(url) == {"failed": "open", "late": "open"}  # and none ever succeeded
        assert dg.materialize([nightly_step], instance=instance, tags=NIGHTLY_TAGS).success
        result = alert_check_job.execute_in_process(instance=instance, resources=resources)
    assert _states(url) == {"failed": "resolved", "late": "resolved"}
    shown = result.output_for_node("check_alerts")
    assert shown == 0  # no finding left (the warehouse rules are skipped: no tables)


def test_digest_job_mails_the_digest_subscriber(
    home: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, url = home
    engine = db.connect(url)
    user = add_user(engine, SYSTEM, username="dora", role="manager", password="dora-pw-12345")
    alert_subscriptions.subscribe(
        engine,
        Actor("dora", "manager", user.id),
        kind="rule",
        target="nightly_run",
        delivery="digest",
        email="dora@example.com",
    )
    # opened yesterday (the 07:00 digest covers the day before) and still live
    yesterday = utcnow() - timedelta(days=1)
    alerts.raise_or_refresh(engine, SYSTEM, Finding("nightly_run", "late", "late"), now=yesterday)
    engine.dispose()
    port = free_loopback_port()
    monkeypatch.setenv("CVD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CVD_SMTP_PORT", str(port))
    resources = {
        "cvd": CvdHomeResource(home=str(path)),
        "operational_db": OperationalDatabaseResource(url=url),
    }
    with dg.instance_for_test() as instance, smtp_server(port) as inbox:
        alert_check_job.execute_in_process(instance=instance, resources=resources)  # refresh
        assert not inbox.received  # a digest subscriber gets nothing immediately
        assert alert_digest_job.execute_in_process(instance=instance, resources=resources).success
        alert_digest_job.execute_in_process(instance=instance, resources=resources)  # same day
    [(rcpt, msg)] = inbox.received
    assert rcpt == ["dora@example.com"]
    assert "daily alert digest" in msg["Subject"] and "1 alert(s)" in msg["Subject"]
    assert "Subject: late" in msg.get_content()
