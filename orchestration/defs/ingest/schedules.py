"""The nightly schedule: rebuild every arrival day that is out of date, then the warehouse."""

import dagster as dg

from orchestration.defs.ingest.assets import RAW_DEX
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.resources import CvdHomeResource
from orchestration.ingest.stale import contiguous_blocks, stale_days

DAYS_FIRST_TAG, DAYS_LAST_TAG = "cvd/arrival_days_first", "cvd/arrival_days_last"
RANGE_START_TAG, RANGE_END_TAG = (
    "dagster/asset_partition_range_start",
    "dagster/asset_partition_range_end",
)
# A run tagged STAGE_TAG=DAYS_STAGE rebuilds only the raw partitions of its range; when it
# succeeds, the sensor ``build_after_days`` asks for the unpartitioned rest (marts, models,
# catalog) over the same days.
STAGE_TAG, DAYS_STAGE = "cvd/stage", "arrival_days"


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover the arrival days ``first`` to ``last``."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


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
    or a single run for today that refreshes master data and the catalog.

    A block of one day is one run of the whole graph. A longer block is rebuilt as
    ``cvd materialize`` does it: a run of the raw partitions over the range, then (started by
    ``build_after_days`` when it succeeds) one unpartitioned run of everything else, because
    Dagster plans every asset of a ranged run once per partition."""
    settings = cvd.settings()
    night = context.scheduled_execution_time.date().isoformat()
    blocks = contiguous_blocks(stale_days(settings.archive, settings.lake)) or [(night, night)]
    return [nightly_request(night, first, last) for first, last in blocks]


def nightly_request(night: str, first: str, last: str) -> dg.RunRequest:
    """The run the nightly schedule asks for to rebuild the arrival days ``first``..``last``."""
    run_key = f"nightly-{night}-{first}-{last}"
    if first == last:
        return dg.RunRequest(run_key=run_key, tags=range_tags(first, last))
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[RAW_DEX],
        tags={**range_tags(first, last), STAGE_TAG: DAYS_STAGE},
    )
