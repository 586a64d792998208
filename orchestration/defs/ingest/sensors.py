"""The sensors: new files in ``$CVD_HOME/inbox`` start an ingestion run, and so do files pushed
over the HTTP API (archived and recorded already); a catch-up's raw run starts the run of the
rest of the graph."""

import hashlib
from datetime import UTC, datetime

import dagster as dg

from ingest.incoming import HTTP_PREFIX
from ingest.ledger import days_named_since
from ingest.receive import inbox_files
from ingest.stale import stale_among
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.schedules import (
    DAYS_STAGE,
    RANGE_END_TAG,
    RANGE_START_TAG,
    STAGE_TAG,
    days_tags,
    project_graph,
    stages,
)
from orchestration.defs.resources import CvdHomeResource


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def inbox_sensor(context: dg.SensorEvaluationContext, cvd: CvdHomeResource) -> object:
    """Ask for one run per distinct inbox content (the run key dedups repeated ticks); the run
    receives the files into today's arrival day and rebuilds it."""
    files = inbox_files(cvd.settings().inbox)
    if not files:
        return dg.SkipReason("the inbox is empty")
    fingerprint = hashlib.sha256()
    for path in files:
        stat = path.stat()
        fingerprint.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    today = datetime.now(UTC).date().isoformat()
    context.log.info(f"{len(files)} files waiting in the inbox")
    return dg.RunRequest(run_key=f"inbox-{fingerprint.hexdigest()[:20]}", partition_key=today)


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def http_deliveries_sensor(context: dg.SensorEvaluationContext, cvd: CvdHomeResource) -> object:
    """Files pushed over the HTTP API skip the inbox (they are archived and recorded before the
    API answers), so the inbox sensor never sees them: ask for a run of each arrival day that
    got new ones since the last tick and is not built from them yet. The cursor is the
    ledger's newest row seen."""
    settings = cvd.settings()
    newest, days = days_named_since(
        settings.archive, HTTP_PREFIX, int(context.cursor or 0), settings.ledger_url
    )
    context.update_cursor(str(newest))
    days = stale_among(settings.archive, settings.lake, days, settings.ledger_url)
    if not days:
        return dg.SkipReason("no new files pushed over HTTP")
    context.log.info(f"files pushed over HTTP for {len(days)} arrival day(s)")
    return [dg.RunRequest(run_key=f"http-{day}-{newest}", partition_key=day) for day in days]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=ingest_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def build_after_days(context: dg.RunStatusSensorContext) -> object:
    """After a run that rebuilt only the raw partitions of several arrival days (the nightly
    schedule's catch-up), ask for the rest of the graph over those days in one unpartitioned
    run: master data, marts, models and the catalog."""
    run = context.dagster_run
    if run.tags.get(STAGE_TAG) != DAYS_STAGE:
        return dg.SkipReason(f"run {run.run_id} was not an arrival-days stage")
    first, last = run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]
    return dg.RunRequest(
        run_key=f"build-after-{run.run_id}",
        asset_selection=stages(project_graph(context))[1],
        tags=days_tags(first, last),
    )
