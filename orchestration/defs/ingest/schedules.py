"""The nightly schedule: rebuild every arrival day that is out of date, then the warehouse."""

import dagster as dg

from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.resources import CvdHomeResource
from orchestration.ingest.stale import contiguous_blocks, stale_days

DAYS_FIRST_TAG, DAYS_LAST_TAG = "cvd/arrival_days_first", "cvd/arrival_days_last"


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover the arrival days ``first`` to ``last``."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def days_tags(first: str, last: str) -> dict[str, str]:
    """Tags that tell a run of unpartitioned assets (marts, catalog) which arrival days the run
    before it rebuilt, without making it a partitioned run: Dagster plans every asset of a
    ranged run once per partition (a year's range: ~6,000 planned events for the marts and
    models, which have no partitions)."""
    return {DAYS_FIRST_TAG: first, DAYS_LAST_TAG: last}


@dg.schedule(
    job=ingest_job, cron_schedule="0 2 * * *", default_status=dg.DefaultScheduleStatus.RUNNING
)
def nightly(context: dg.ScheduleEvaluationContext, cvd: CvdHomeResource) -> object:
    """One run per block of consecutive stale days (late files, a crash, a parser upgrade),
    or a single run for today that refreshes master data and the catalog."""
    settings = cvd.settings()
    night = context.scheduled_execution_time.date().isoformat()
    blocks = contiguous_blocks(stale_days(settings.archive, settings.lake)) or [(night, night)]
    return [
        dg.RunRequest(run_key=f"nightly-{night}-{first}-{last}", tags=range_tags(first, last))
        for first, last in blocks
    ]
