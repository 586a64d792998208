"""The warehouse catalog asset: ``warehouse.duckdb`` rebuilt and swapped in after every run."""

from pathlib import Path

import dagster as dg

from models.output_schemas import ensure_schemas
from orchestration.defs.ingest.assets import MASTER_TABLES, RAW_DEX
from orchestration.defs.resources import CvdHomeResource
from transforms.cash import ensure_cash_schemas
from transforms.catalog import build_catalog
from transforms.derived import ensure_derived_schemas
from transforms.lake import RETENTION
from transforms.lake_gc import collect


@dg.asset(
    deps=[
        RAW_DEX,
        *MASTER_TABLES,
        "sales_marts",
        "derived_marts",
        "cash_marts",
        "service_plan",
        "planogram_recommendations",
        "demand_forecast",
        "demand_model",
    ],
    group_name="warehouse",
    kinds={"duckdb"},
)
def warehouse(cvd: CvdHomeResource) -> dg.MaterializeResult:
    """A DuckDB file of views over the lake, built in a temporary file and renamed over the old
    one, so readers (dashboards, analysts) never wait for a lock and never see half a catalog.
    Lake files are immutable versions; ones replaced over an hour ago are deleted here
    (``transforms.lake_gc``)."""
    settings = cvd.settings()
    ensure_schemas(settings.lake)  # model outputs not built yet still get their (empty) views
    ensure_derived_schemas(settings.lake)  # likewise the derived marts (a run without them)
    ensure_cash_schemas(settings.lake)  # and the cash marts
    views = build_catalog(settings.lake, settings.warehouse)
    # versions replaced more than RETENTION ago and not named by the new catalog can no longer be
    # in use by any open catalog
    # a lake in object storage is collected by the nightly maintenance only (one listing of
    # the bucket a night, see orchestration.maintenance.lake)
    removed = (
        collect(settings.lake, settings.warehouse, grace=RETENTION).removed
        if isinstance(settings.lake, Path)
        else 0
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse)),
            "views": dg.MetadataValue.text(", ".join(views)),
            "old_versions_removed": removed,
        }
    )
