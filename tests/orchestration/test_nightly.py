"""The nightly schedule's catch-up, run for real: several stale arrival days become a run of the
raw partitions over the range and then, started by the run-status sensor when it succeeds, one
unpartitioned run of everything else (as `cvd materialize` does it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ingest.receive import receive_inbox
from ingest.stale import stale_days
from operations import db
from orchestration.cli.pipeline_run import prepare_environment, run_resources
from orchestration.definitions import defs
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.schedules import nightly, nightly_request
from orchestration.defs.ingest.sensors import build_after_days
from orchestration.defs.resources import CvdHomeResource
from orchestration.settings import load_settings
from tests.orchestration.pipeline import cvd, demo, query

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

ARRIVAL_DAYS = ("2026-03-02", "2026-03-03", "2026-03-04")


def _received_over_three_days(home: Path) -> dict[str, int]:
    """Demo files received in three lots, one per arrival day; files per day."""
    inbox = home / "inbox"
    files = sorted(inbox.iterdir())
    lots = [files[k :: len(ARRIVAL_DAYS)] for k in range(len(ARRIVAL_DAYS))]
    parked = home / "parked"
    parked.mkdir()
    for path in files:
        path.rename(parked / path.name)
    counts = {}
    for day, lot in zip(ARRIVAL_DAYS, lots, strict=True):
        for path in lot:
            (parked / path.name).rename(inbox / path.name)
        noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        report = receive_inbox(inbox, home / "archive", now=noon)
        assert report.received + report.duplicates == len(lot)
        counts[day] = len(lot)
    return counts


@contextmanager
def _home_instance(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """The home's own Dagster instance, reached as the CLI and the daemon reach it (through
    DAGSTER_HOME; the environment is restored afterwards). A temporary instance of Dagster's
    test helpers leaves a dead storage reference behind that breaks later runs in the process."""
    for name in ("CVD_HOME", "DAGSTER_HOME", "GX_ANALYTICS_ENABLED"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    prepare_environment(load_settings(home))
    yield dg.DagsterInstance.get()


def _definitions(home: Path) -> dg.Definitions:
    """The project's assets, checks and job, with resources for this home."""
    project = defs()
    return dg.Definitions(
        assets=project.assets,
        asset_checks=project.asset_checks,
        jobs=[ingest_job],
        resources=run_resources(load_settings(home)),
    )


def _nightly(instance: dg.DagsterInstance, home: Path, at: datetime) -> list[dg.RunRequest]:
    """What the nightly schedule asks for at ``at``, evaluated as the daemon evaluates it."""
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=at,
        resources={"cvd": CvdHomeResource(home=str(home))},
        repository_def=_definitions(home).get_repository_def(),
    )
    return nightly(context)  # type: ignore[return-value]


def _after_success(
    instance: dg.DagsterInstance, run: dg.ExecuteInProcessResult, home: Path
) -> object:
    """What ``build_after_days`` asks for when ``run`` succeeds, evaluated as the daemon would."""
    context = dg.build_run_status_sensor_context(
        sensor_name="build_after_days",
        dagster_instance=instance,
        dagster_run=run.dagster_run,
        dagster_event=run.get_run_success_event(),
        repository_def=_definitions(home).get_repository_def(),
    )
    return build_after_days(context)


def _run(
    instance: dg.DagsterInstance, request: dg.RunRequest, home: Path
) -> dg.ExecuteInProcessResult:
    """Execute a run request as the daemon would: the job's asset subset, with its tags."""
    job = _definitions(home).resolve_job_def(ingest_job.name)
    return job.execute_in_process(
        instance=instance, asset_selection=request.asset_selection, tags=request.tags
    )


def test_a_multi_day_catch_up_is_a_raw_run_then_a_build_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    demo(home, machines=3, days=8)
    settings = load_settings(home)
    db.upgrade(settings.database_url)
    counts = _received_over_three_days(home)
    assert stale_days(settings.archive, settings.lake) == list(ARRIVAL_DAYS)

    with _home_instance(home, monkeypatch) as instance:
        (days_run,) = _nightly(instance, home, datetime(2026, 3, 5, 2, tzinfo=UTC))
        assert days_run.asset_selection == [dg.AssetKey("raw_dex")]
        assert days_run.tags["dagster/asset_partition_range_start"] == ARRIVAL_DAYS[0]
        assert days_run.tags["dagster/asset_partition_range_end"] == ARRIVAL_DAYS[-1]
        raw = _run(instance, days_run, home)
        assert raw.success
        # the raw partitions of the three days were rebuilt, and nothing else ran
        materialized = raw.get_asset_materialization_events()
        assert {e.asset_key for e in materialized} == {dg.AssetKey("raw_dex")}
        assert sorted(e.partition for e in materialized) == list(ARRIVAL_DAYS)
        # with raw_dex's checks, the blocking Great Expectations suite among them
        checks = {e.asset_check_key.name: e.passed for e in raw.get_asset_check_evaluations()}
        assert checks["dex_selection_counters__great_expectations_suite"]
        assert len(checks) > 10 and all(checks.values())
        assert stale_days(settings.archive, settings.lake) == []

        build_request = _after_success(instance, raw, home)
        assert isinstance(build_request, dg.RunRequest)
        assert dg.AssetKey("raw_dex") not in build_request.asset_selection
        assert dg.AssetKey("warehouse") in build_request.asset_selection
        assert build_request.tags["cvd/arrival_days_first"] == ARRIVAL_DAYS[0]
        assert build_request.tags["cvd/arrival_days_last"] == ARRIVAL_DAYS[-1]
        build = _run(instance, build_request, home)
        assert build.success
        # the build run is not a stage: it starts nothing further
        assert isinstance(_after_success(instance, build, home), dg.SkipReason)

    # every file received is in the warehouse the build run swapped in, under its arrival day
    rows = query(
        home,
        "SELECT CAST(received_at AS DATE)::VARCHAR, count(*) FROM dex_files GROUP BY 1 ORDER BY 1",
    )
    assert dict(rows) == counts
    (sales,) = query(home, "SELECT count(*) FROM fct_daily_sales")[0]
    assert sales > 0


def test_a_single_stale_day_is_one_run_of_the_whole_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "one.dex").write_bytes(b"DXS*1\r\nST*001*0001\r\n")
    receive_inbox(inbox, home / "archive", now=datetime(2026, 3, 2, 12, tzinfo=UTC))
    with _home_instance(home, monkeypatch) as instance:
        (request,) = _nightly(instance, home, datetime(2026, 3, 3, 2, tzinfo=UTC))
    assert request.asset_selection is None  # the whole graph
    assert request.tags["dagster/asset_partition_range_start"] == "2026-03-02"
    assert "cvd/stage" not in request.tags


def _receive_by_month(home: Path) -> None:
    """The demo's January files received over three days, its February files on a fourth."""
    arrivals = pl.read_parquet(home / "truth" / "deliveries.parquet")
    inbox = home / "inbox"
    parked = home / "parked"
    parked.mkdir()
    for path in inbox.iterdir():
        path.rename(parked / path.name)
    january = arrivals.filter(pl.col("arrival_date").dt.month() == 1)["file_name"].to_list()
    february = arrivals.filter(pl.col("arrival_date").dt.month() == 2)["file_name"].to_list()
    assert january and february
    lots = [sorted(january)[k :: len(ARRIVAL_DAYS)] for k in range(len(ARRIVAL_DAYS))]
    for day, names in [*zip(ARRIVAL_DAYS, lots, strict=True), ("2026-03-05", february)]:
        for name in names:
            if (parked / name).exists():
                (parked / name).rename(inbox / name)
        noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        receive_inbox(inbox, home / "archive", now=noon)


SALES_SQL = """
SELECT machine_serial, selection, period_start, period_end, units_sold, revenue
FROM fct_slot_sales ORDER BY ALL
"""


def test_days_whose_build_run_never_came_are_taken_in_by_the_next_marts_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catch-up's raw run succeeded, its build run never ran (sensor off, a crash): the
    next run covers only a later day, and its marts refresh must still take in the earlier
    days, or their months stay empty. Expected: a clean run over the same files."""
    source = tmp_path / "source"
    demo(source, machines=3, days=40)
    homes = {}
    for name in ("interrupted", "clean"):
        home = tmp_path / name
        shutil.copytree(source, home)
        _receive_by_month(home)
        homes[name] = home
    home = homes["interrupted"]
    db.upgrade(load_settings(home).database_url)
    with _home_instance(home, monkeypatch) as instance:
        raw = [dg.AssetKey("raw_dex")]
        days_run = nightly_request("2026-03-05", ARRIVAL_DAYS[0], ARRIVAL_DAYS[-1], raw)
        assert _run(instance, days_run, home).success  # and no build run after it
    assert cvd("materialize", "--home", str(home), "--day", "2026-03-05") == 0
    assert cvd("materialize", "--home", str(homes["clean"])) == 0
    interrupted, clean = (query(h, SALES_SQL) for h in (home, homes["clean"]))
    assert clean and {1, 2} <= {r[3].month for r in clean}  # both months have sales
    assert interrupted == clean
