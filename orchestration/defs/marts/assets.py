"""The sales marts: interval and daily sales, rebuilt for the months the run's reads touch."""

import dagster as dg

from ingest.build_locks import build_locks
from ingest.stale import (
    days_marts_missed,
    manifest_fingerprints,
    record_marts_built,
)
from orchestration.defs.ingest.assets import MASTER_TABLES, RAW_DEX
from orchestration.defs.ingest.checks import run_days
from orchestration.defs.resources import CvdHomeResource
from orchestration.settings import marts_engine
from transforms.marts import refresh_marts

SALES_MARTS = dg.AssetKey("sales_marts")
MARTS_LOCK = "marts"  # the sales and derived marts: one refresh at a time


@dg.asset(
    key=SALES_MARTS,
    deps=[RAW_DEX, *MASTER_TABLES],
    group_name="marts",
    kinds={"duckdb", "polars", "parquet"},
)
def sales_marts(context: dg.AssetExecutionContext, cvd: CvdHomeResource) -> dg.MaterializeResult:
    """``fct_slot_sales`` (sales between consecutive reads, from the counters) and the daily
    spread behind ``fct_daily_sales``, stored by month of the interval's end read. A run over
    arrival days rebuilds only the months from the earliest read those days hold (and the days
    an earlier run built but never refreshed the marts from); a run without partition tags
    rebuilds every month."""
    settings = cvd.settings()
    days = run_days(context)  # type: ignore[arg-type]
    # one refresh at a time across workers: the last to publish read every day built before it
    with build_locks(settings.archive, settings.ledger_url, [MARTS_LOCK]):
        built = manifest_fingerprints(settings.lake)  # taken first: a day rebuilt meanwhile is
        missed = days_marts_missed(settings.lake, built)  # missed again next time, not lost
        if days is not None and missed:
            context.log.info(f"marts: also taking in {len(missed)} built days never refreshed from")
            days = sorted({*days, *missed})
        report = refresh_marts(settings.lake, days, marts_engine(settings))
        record_marts_built(settings.lake, built)
    context.log.info(f"marts: months rebuilt {report.months or 'none'}")
    return dg.MaterializeResult(
        metadata={
            "months_rebuilt": len(report.months),
            "months": dg.MetadataValue.text(", ".join(report.months) or "none"),
            **{f"rows_{t}": n for t, n in report.rows.items()},
        }
    )
