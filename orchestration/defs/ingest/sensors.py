"""The inbox sensor: new files in ``$CVD_HOME/inbox`` start an ingestion run."""

import hashlib
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.resources import CvdHomeResource
from orchestration.ingest.receive import inbox_files


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
