"""The Data quality page's re-parse is a Dagster run on the home's instance, and a second one
is refused while it is in progress (issue 15, item 15): before, the page started a detached
`cvd materialize` whose output was discarded and which nothing kept from running twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from operations import db as operations_db
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.launch import LAUNCHED_BY_TAG, launch_day, runs_in_progress
from orchestration.settings import load_settings
from tests.evadts.handmade import BODY, seal
from tests.orchestration.pipeline import query

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def _wait(instance: dg.DagsterInstance, run_id: str, timeout_s: float = 1200) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        if run.status in FINISHED:
            return run
        time.sleep(2)
    raise AssertionError(f"run {run_id} still {run.status} after {timeout_s} s")


def test_a_reparse_is_a_visible_dagster_run_and_never_two_at_once(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    settings.inbox.mkdir(parents=True)
    damaged = seal(BODY).replace(b"PA2*100*12500", b"PA2*100*12600")  # the CRC no longer matches
    (settings.inbox / "audit.dex").write_bytes(damaged)
    operations_db.upgrade(settings.database_url)
    day = datetime.now(UTC).date().isoformat()  # the inbox file arrives today
    first = launch_day(settings, day, launched_by="manager")
    assert first.started
    second = launch_day(settings, day, launched_by="manager")
    assert (second.started, second.run_id) == (False, first.run_id)  # refused, naming the run
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        run = _wait(instance, first.run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == ingest_job.name
        assert run.tags[LAUNCHED_BY_TAG] == "manager"
        assert runs_in_progress(instance, ingest_job.name) == []
    # the run really parsed the day into the home's warehouse, and its output was kept
    assert query(tmp_path, "SELECT original_name, reason FROM quarantine") == [
        ("audit.dex", "crc_mismatch")
    ]
    assert first.log is not None and first.run_id in first.log.read_text()
