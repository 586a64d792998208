"""The operational database's cash collections into the lake, and the cash marts over them."""

import dagster as dg

from operations import db as opsdb
from operations.services.cash_collections import export_collections
from orchestration.defs.ingest.assets import RAW_DEX
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource
from transforms.cash import CASH_COLLECTIONS, publish_collections, refresh_cash

CASH_MARTS = dg.AssetKey("cash_marts")


@dg.asset(
    key=CASH_COLLECTIONS,
    deps=[RAW_DEX],
    group_name="master",
    kinds={"parquet", "sqlite"},
)
def cash_collections(
    cvd: CvdHomeResource, operational_db: OperationalDatabaseResource
) -> dg.MaterializeResult:
    """Snapshot every cash collection of the operational database (the driver's counts, the
    managers' reconciliations) into ``lake/master/cash_collections``."""
    engine = opsdb.connect(operational_db.url)
    try:
        opsdb.require_current(engine)
        rows = export_collections(engine)
    finally:
        engine.dispose()
    count = publish_collections(cvd.settings().lake, rows)
    return dg.MaterializeResult(metadata={"rows": count})


@dg.asset(
    key=CASH_MARTS,
    deps=[CASH_COLLECTIONS, "derived_marts", RAW_DEX],
    group_name="marts",
    kinds={"duckdb", "parquet"},
)
def cash_marts(context: dg.AssetExecutionContext, cvd: CvdHomeResource) -> dg.MaterializeResult:
    """``fct_cash_collections`` (expected cash from the CA3/CA4 counters against the count, per
    collection), ``cash_by_driver_week``, ``cash_by_route_week`` and
    ``cashless_share_by_machine``, recomputed whole from the lake (transforms/cash.py)."""
    rows = refresh_cash(cvd.settings().lake)
    context.log.info("cash marts: " + ", ".join(f"{n} {r} rows" for n, r in rows.items()))
    return dg.MaterializeResult(metadata={f"rows_{name}": r for name, r in rows.items()})
