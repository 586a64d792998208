"""Launch a run of the ingest job on a home's Dagster instance, in a process of its own, unless
a run of that job is already queued or running: how the Data quality page re-parses an
arrival day. The run is recorded like any other (the Dagster UI and the page's run table show
it, with its logs), and its process's own output goes to ``$CVD_HOME/logs/run-<id>.log``.

The process is Dagster's own run worker (``dagster api execute_run``, what its run launchers
start), on a run created here for the job of ``orchestration.definitions``: nothing needs the
Dagster daemon or web server to be up.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._grpc.types import ExecuteRunArgs

from orchestration.cli.pipeline_run import ensure_dagster_home
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.schedules import range_tags
from orchestration.settings import Settings

DEFINITIONS_MODULE = "orchestration.definitions"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAUNCHED_BY_TAG = "cvd/launched_by"
# One day's rebuild in one process, step after step, as `cvd materialize` runs: a process per
# step (Dagster's default) would import every asset again for each of them on the host that
# serves the dashboards.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
# A run in one of these states is in progress: another launch of the job waits for it.
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@dataclass(frozen=True)
class Launch:
    """A launched run (``started``), or the run in progress that kept one from starting."""

    run_id: str
    started: bool
    log: Path | None = None


def runs_in_progress(instance: dg.DagsterInstance, job_name: str) -> list[str]:
    """Ids of the runs of ``job_name`` that are queued or running, newest first."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=job_name, statuses=IN_PROGRESS), limit=5
    )
    return [record.dagster_run.run_id for record in records]


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One launcher at a time between looking for runs in progress and creating one."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _child_env(settings: Settings) -> dict[str, str]:
    """The run's environment: this home, whatever the launching process's own settings."""
    return {
        **os.environ,
        "CVD_HOME": str(settings.home),
        "CVD_DATABASE_URL": settings.database_url,
        "DAGSTER_HOME": str(settings.dagster_home),
        "GX_ANALYTICS_ENABLED": "false",
    }


def launch_day(settings: Settings, day: str, *, launched_by: str) -> Launch:
    """Launch one run of the ingest job over arrival day ``day`` (the whole graph, as the
    nightly schedule runs a single day), unless a run of that job is in progress: then
    nothing starts and the run in progress is returned (``started`` False)."""
    from orchestration.definitions import defs  # noqa: PLC0415 - loads every asset

    dagster_home = ensure_dagster_home(settings)
    job_name = ingest_job.name
    with (
        _exclusive(dagster_home / "launch.lock"),
        dg.DagsterInstance.from_config(str(dagster_home)) as instance,
    ):
        busy = runs_in_progress(instance, job_name)
        if busy:
            return Launch(busy[0], started=False)
        origin = (
            ReconstructableRepository.for_module(
                DEFINITIONS_MODULE, "defs", working_directory=str(PROJECT_ROOT)
            )
            .get_reconstructable_job(job_name)
            .get_python_origin()
        )
        run = instance.create_run_for_job(
            job_def=defs().resolve_job_def(job_name),
            run_config=IN_PROCESS,
            tags={**range_tags(day, day), LAUNCHED_BY_TAG: launched_by},
            job_code_origin=origin,
        )
        command = ExecuteRunArgs(
            job_origin=origin,
            run_id=run.run_id,
            instance_ref=instance.get_ref(),
            set_exit_code_on_failure=True,
        ).get_command_args()
        log = settings.home / "logs" / f"run-{run.run_id}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log.open("ab") as out:
                subprocess.Popen(  # noqa: S603 - Dagster's own run worker, fixed arguments
                    [sys.executable, "-m", *command],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=PROJECT_ROOT,
                    env=_child_env(settings),
                    start_new_session=True,  # outlives a page rerun or a server restart
                )
        except OSError as error:
            # a run that never starts must not block every later launch
            instance.report_run_failed(run, f"the run worker did not start: {error}")
            raise
    return Launch(run.run_id, started=True, log=log)
