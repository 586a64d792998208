"""When maintenance runs: after the nightly ingest (02:00), never beside another run."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.maintenance.jobs import JOB, nightly_maintenance

IN_PROGRESS = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)


@dg.schedule(
    job=nightly_maintenance,
    cron_schedule="*/30 3-5 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def maintenance_after_ingest(context: dg.ScheduleEvaluationContext) -> object:
    """Every half hour from 03:00 to 05:30, one run a night (its run key is the night): a tick
    that finds another run in progress (the nightly ingest catching up, say) skips, and the next
    one tries again."""
    night = context.scheduled_execution_time.date().isoformat()
    busy = context.instance.get_run_records(
        filters=dg.RunsFilter(statuses=list(IN_PROGRESS)), limit=5
    )
    others = [r.dagster_run.job_name for r in busy if r.dagster_run.job_name != JOB]
    if others:
        return dg.SkipReason(f"runs in progress ({', '.join(sorted(set(others)))}): next tick")
    return dg.RunRequest(run_key=f"maintenance-{night}")
