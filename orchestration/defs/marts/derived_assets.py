"""The derived marts: daily sales by month of sale and the whole-history marts, as files."""

import dagster as dg

from ingest.build_locks import build_locks
from orchestration.defs.ingest.assets import MASTER_TABLES, RAW_DEX
from orchestration.defs.marts.assets import MARTS_LOCK, SALES_MARTS
from orchestration.defs.resources import CvdHomeResource
from orchestration.settings import marts_engine
from transforms.derived import refresh_derived

DERIVED_MARTS = dg.AssetKey("derived_marts")


@dg.asset(
    key=DERIVED_MARTS,
    deps=[SALES_MARTS, RAW_DEX, *MASTER_TABLES],
    group_name="marts",
    kinds={"duckdb", "parquet"},
)
def derived_marts(context: dg.AssetExecutionContext, cvd: CvdHomeResource) -> dg.MaterializeResult:
    """``fct_daily_sales`` (the daily parts summed, stored by month of ``sales_date``; only the
    months whose parts the run replaced are summed again) and the whole-history marts
    (``transforms.derived.WHOLE_HISTORY``), recomputed from the lake and published as files, so
    the warehouse views and the model assets read them instead of computing them per query."""
    settings = cvd.settings()
    # one refresh at a time across workers, as for the sales marts it is made from
    with build_locks(settings.archive, settings.ledger_url, [MARTS_LOCK]):
        report = refresh_derived(settings.lake, engine=marts_engine(settings))
    context.log.info(
        f"derived marts: fct_daily_sales months re-summed {report.sales_months or 'none'}; "
        + ", ".join(f"{name} {rows} rows" for name, rows in report.rows.items())
    )
    return dg.MaterializeResult(
        metadata={
            "sales_months_rebuilt": len(report.sales_months),
            "sales_months": dg.MetadataValue.text(", ".join(report.sales_months) or "none"),
            **{f"rows_{name}": rows for name, rows in report.rows.items()},
        }
    )
