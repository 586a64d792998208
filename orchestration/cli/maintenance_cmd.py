"""`cvd maintenance run [--only TASK]`: the nightly maintenance job, now, as a Dagster run.

The run is recorded in the home's Dagster instance like the scheduled one; each task prints
what it did (the metadata its step reports). Exit 1 if any task failed."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

console = Console()
# The keys of orchestration.defs.maintenance.jobs.TASK_OPS, listed here so that building the
# parser (every `cvd` command) imports no Dagster.
TASKS = ("sessions", "audit", "lake", "runs", "sqlite")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `cvd maintenance run`."""
    maintenance = subparsers.add_parser(
        "maintenance", help="retention and compaction (the nightly maintenance job), now"
    )
    sub = maintenance.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run the maintenance job (or some of its tasks) now")
    run.add_argument(
        "--only",
        action="append",
        choices=TASKS,
        help="run only this task (repeatable); default: every task",
    )
    run.add_argument("--home", type=Path, help="CVD home folder (overrides CVD_HOME)")
    run.set_defaults(func=run_maintenance)


def run_maintenance(args: argparse.Namespace) -> int:
    """Execute ``nightly_maintenance`` in process over the home; print each task's report."""
    import dagster as dg  # noqa: PLC0415 (the CLI imports Dagster only when a command needs it)

    from operations import db  # noqa: PLC0415
    from orchestration.cli.pipeline_run import prepare_environment, run_resources  # noqa: PLC0415
    from orchestration.definitions import defs  # noqa: PLC0415
    from orchestration.defs.maintenance.jobs import JOB, TASK_OPS  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415

    settings = load_settings(args.home)
    prepare_environment(settings)
    db.upgrade(settings.database_url)
    job = defs().get_job_def(JOB)
    selection = [TASK_OPS[task] for task in args.only] if args.only else None
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        resources=run_resources(settings),
        op_selection=selection,
        raise_on_error=False,
    )
    for event in result.all_events:
        if event.is_successful_output and event.step_output_data is not None:
            figures = event.step_output_data.metadata.items()
            line = ", ".join(f"{key}={value.value}" for key, value in figures)
            console.print(f"{event.step_key}: {line}", highlight=False, markup=False)
        elif event.is_step_failure:
            console.print(f"{event.step_key}: FAILED", highlight=False, markup=False)
    return 0 if result.success else 1
