"""Nightly maintenance (issue 22) as a real Dagster run on a temporary home: each step removes
what its retention says and reports it in its metadata.

The home is set up as years of use leave it: audit rows from 2020 (written before the audit log
was chained, then chained by migration 0004, as an upgraded database has them), an expired
session, lake datasets with superseded versions, and real Dagster runs of which two were last
updated 200 days ago (their timestamps moved back in the instance's run storage)."""

from __future__ import annotations

import gzip
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
from sqlalchemy import func, select, text

from operations import audit, auth, db
from operations.permissions import SYSTEM
from operations.retention import verify_archive
from operations.schema import AuditEntry, UserSession
from operations.services import users
from orchestration.cli import main
from orchestration.cli.maintenance_cmd import TASKS
from orchestration.cli.pipeline_run import ensure_dagster_home
from orchestration.definitions import defs
from orchestration.defs.maintenance.jobs import TASK_OPS
from orchestration.settings import load_settings
from transforms.lake import CURRENT, publish

OLD_AUDIT_ROWS = 5
PASSWORD = "long-enough-pw-1"


def _database_with_old_audit_rows(url: str) -> None:
    db.upgrade(url, "0003")
    engine = db.connect(url)
    with engine.begin() as connection:
        for day in range(1, OLD_AUDIT_ROWS + 1):
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_key) "
                    "VALUES (:at, 'system', 'create', 'product', :key)"
                ),
                {"at": f"2020-01-0{day} 00:00:00.000000", "key": f"OLD{day}"},
            )
    engine.dispose()
    db.upgrade(url)  # 0004 chains the rows, 0005 adds the anchors


@dg.op
def _noop() -> None:
    pass


@dg.job
def _tiny() -> None:
    _noop()


def _age_runs(dagster_home: Path, run_ids: list[str], days: int) -> None:
    when = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
    con = sqlite3.connect(dagster_home / "history" / "runs.db")
    with con:
        for run_id in run_ids:
            con.execute(
                "UPDATE runs SET create_timestamp = ?, update_timestamp = ? WHERE run_id = ?",
                (when, when, run_id),
            )
    con.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home whose environment points at it, with a Dagster instance folder."""
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    monkeypatch.setenv("CVD_HOME", str(home))
    monkeypatch.setenv("CVD_DATABASE_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(ensure_dagster_home(load_settings(home))))
    monkeypatch.setenv("CVD_AUDIT_RETENTION_DAYS", "365")
    monkeypatch.setenv("CVD_LAKE_GRACE_HOURS", "1")
    auth.use_fast_hashing_for_tests()
    _database_with_old_audit_rows(url)
    engine = db.connect(url)
    users.add_user(engine, SYSTEM, username="dora", role="driver", password=PASSWORD)
    auth.authenticate(engine, "dora", PASSWORD, now=datetime.now(UTC) - timedelta(days=3))
    auth.authenticate(engine, "dora", PASSWORD)  # a live session
    engine.dispose()
    return home


def _lake_with_old_versions(lake: Path) -> list[Path]:
    """Two datasets of three versions, all written two days ago; the current ones returned."""
    live = []
    for name in ("a", "b/received_date=2026-01-01"):
        folder = lake / name
        written = [publish(folder, pa.table({"x": [n]})) for n in range(3)]
        when = time.time() - 2 * 86400
        for path in [*written, folder / CURRENT]:
            os.utime(path, (when, when))
        live.append(written[-1])
    return live


def _step_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for event in result.all_events:
        if event.is_successful_output and event.step_output_data is not None:
            metadata = event.step_output_data.metadata
            found[event.step_key or ""] = {key: value.value for key, value in metadata.items()}
    return found


def test_the_maintenance_job_removes_what_retention_says_and_reports_it(home: Path) -> None:
    settings = load_settings(home)
    live_versions = _lake_with_old_versions(settings.lake)
    instance = dg.DagsterInstance.get()
    run_ids = [_tiny.execute_in_process(instance=instance).run_id for _ in range(3)]
    _age_runs(settings.dagster_home, run_ids[:2], days=200)

    job = defs().get_job_def("nightly_maintenance")
    result = job.execute_in_process(instance=instance)

    assert result.success
    steps = _step_metadata(result)
    assert steps["expire_sessions"]["sessions_removed"] == 1
    assert steps["audit_retention"]["rows_removed"] == OLD_AUDIT_ROWS
    assert steps["lake_gc"]["versions_removed"] == 4  # two superseded in each of two datasets
    assert steps["lake_gc"]["bytes_freed"] > 0  # type: ignore[operator]  # an int in metadata
    assert steps["run_retention"]["runs_deleted"] == 2
    assert steps["compact_sqlite"]["operational_db"] == "VACUUM, ANALYZE"
    assert steps["compact_sqlite"]["ledger"] == "skipped: no ledger yet"

    # what the metadata says is what happened
    archive = Path(str(steps["audit_retention"]["archive"]))
    assert archive.parent == home / "audit-archive" and verify_archive(archive).rows == 5
    with gzip.open(archive, "rt") as handle:
        assert sum(1 for _ in handle) == 1 + OLD_AUDIT_ROWS
    engine = db.connect(settings.database_url)
    with engine.connect() as connection:
        keys = set(connection.execute(select(AuditEntry.entity_key)).scalars())
        sessions = connection.scalar(select(func.count()).select_from(UserSession))
    assert not any(key.startswith("OLD") for key in keys) and sessions == 1
    assert audit.verify_chain(engine) is None
    engine.dispose()
    assert sorted(settings.lake.rglob("v-*.parquet")) == sorted(live_versions)
    remaining = {r.dagster_run.run_id for r in instance.get_run_records()}
    assert run_ids[2] in remaining and not set(run_ids[:2]) & remaining
    assert result.run_id in remaining


def test_audit_is_kept_forever_when_no_retention_is_set(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CVD_AUDIT_RETENTION_DAYS")
    job = defs().get_job_def("nightly_maintenance")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(), op_selection=["audit_retention"]
    )
    assert "kept forever" in str(_step_metadata(result)["audit_retention"]["skipped"])
    engine = db.connect(load_settings(home).database_url)
    with engine.connect() as connection:
        old = connection.scalar(select(func.count()).where(AuditEntry.entity_key.like("OLD%")))
    engine.dispose()
    assert old == OLD_AUDIT_ROWS and not (home / "audit-archive").exists()


def test_cvd_maintenance_run_only_one_task(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert set(TASKS) == set(TASK_OPS)
    assert main(["maintenance", "run", "--only", "sessions", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "sessions_removed" in out and "rows_removed" not in out
    engine = db.connect(load_settings(home).database_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(UserSession)) == 1
    engine.dispose()


def test_on_postgresql_vacuum_is_skipped_and_said_so(
    home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.upgrade(postgres_url)
    monkeypatch.setenv("CVD_DATABASE_URL", postgres_url)
    job = defs().get_job_def("nightly_maintenance")
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(), op_selection=["compact_sqlite"]
    )
    assert "VACUUM skipped" in str(_step_metadata(result)["compact_sqlite"]["operational_db"])


def test_the_schedule_runs_once_a_night_after_ingest_and_waits_for_other_runs(home: Path) -> None:
    schedule = defs().get_schedule_def("maintenance_after_ingest")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "*/30 3-5 * * *"  # after the 02:00 ingest
    instance = dg.DagsterInstance.get()
    when = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    request = schedule.evaluate_tick(context).run_requests
    assert request and request[0].run_key == "maintenance-2026-12-08"  # one run per night
    ingest = dg.DagsterRun(job_name="ingest_and_build", status=dg.DagsterRunStatus.STARTED)
    instance.add_run(ingest)
    waiting = schedule.evaluate_tick(
        dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    )
    assert not waiting.run_requests and "ingest_and_build" in str(waiting.skip_message)
