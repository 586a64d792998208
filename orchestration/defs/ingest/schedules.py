"""The nightly schedule: rebuild every arrival day that is out of date, then the warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from ingest.stale import contiguous_blocks, stale_days
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.resources import CvdHomeResource

if TYPE_CHECKING:
    from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

DAYS_FIRST_TAG, DAYS_LAST_TAG = "cvd/arrival_days_first", "cvd/arrival_days_last"
RANGE_START_TAG, RANGE_END_TAG = (
    "dagster/asset_partition_range_start",
    "dagster/asset_partition_range_end",
)
# A run tagged STAGE_TAG=DAYS_STAGE rebuilds only the raw partitions of its range; when it
# succeeds, the sensor ``build_after_days`` asks for the unpartitioned rest (marts, models,
# catalog) over the same days.
STAGE_TAG, DAYS_STAGE = "cvd/stage", "arrival_days"


def stages(graph: BaseAssetGraph) -> tuple[list[dg.AssetKey], list[dg.AssetKey]]:
    """The assets after the inbox, split as a multi-day rebuild runs them (``cvd materialize``
    and the nightly catch-up alike): the partitioned ones (one ranged run), then the rest (one
    unpartitioned run told the days)."""
    after_inbox = sorted(k for k in graph.get_all_asset_keys() if k != dg.AssetKey("inbox"))
    partitioned = [k for k in after_inbox if graph.get(k).is_partitioned]
    return partitioned, [k for k in after_inbox if not graph.get(k).is_partitioned]


def project_graph(
    context: dg.ScheduleEvaluationContext | dg.RunStatusSensorContext,
) -> BaseAssetGraph:
    """The asset graph of the code location the daemon evaluates ``context`` in (a context
    built by hand must be given its ``repository_def``)."""
    repository = context.repository_def  # a schedule context without one raises here
    if repository is None:
        raise dg.DagsterInvariantViolationError(f"{context} has no repository_def")
    return repository.asset_graph


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
    stale = stale_days(settings.archive, settings.lake, settings.ledger_url)
    blocks = contiguous_blocks(stale) or [(night, night)]
    partitioned, _ = stages(project_graph(context))
    return [nightly_request(night, first, last, partitioned) for first, last in blocks]


def nightly_request(
    night: str, first: str, last: str, partitioned: list[dg.AssetKey]
) -> dg.RunRequest:
    """The run the nightly schedule asks for to rebuild the arrival days ``first``..``last``:
    the whole graph for one day, the ``partitioned`` assets (the raw tables) for several."""
    run_key = f"nightly-{night}-{first}-{last}"
    if first == last:
        return dg.RunRequest(run_key=run_key, tags=range_tags(first, last))
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=partitioned,
        tags={**range_tags(first, last), STAGE_TAG: DAYS_STAGE},
    )
