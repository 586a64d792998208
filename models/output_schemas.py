"""Schemas of the model outputs in the lake (``lake/ml/<name>/``): the contract between the model
assets that write them, the warehouse views analysts query and the dashboards that read them.
Column meanings: docs/warehouse.md, "Models"."""

from __future__ import annotations

import pyarrow as pa

from transforms.lake import Location, arrow_schema, write_schema_file

ML_DIR = "ml"
_TS = pa.timestamp("us")

SCHEMAS: dict[str, pa.Schema] = {
    "demand_forecast": arrow_schema(
        [
            ("machine_serial", pa.string()),
            ("cabinet_index", pa.int64()),
            ("slot", pa.string()),
            ("selection", pa.string()),
            ("product_id", pa.string()),
            ("forecast_date", pa.date32()),
            ("expected_units", pa.float64()),
            ("lower_units", pa.float64()),
            ("upper_units", pa.float64()),
            ("method", pa.string()),
            ("model_version", pa.string()),
            ("created_at", _TS),
        ]
    ),
    "forecast_backtest": arrow_schema(
        [
            ("model_version", pa.string()),
            ("method", pa.string()),
            ("cutoff", pa.date32()),
            ("horizon_days", pa.int32()),
            ("series", pa.int64()),
            ("mase", pa.float64()),
            ("wape", pa.float64()),
            ("bias", pa.float64()),
            ("wape_vs_true", pa.float64()),
            ("created_at", _TS),
        ]
    ),
    "model_versions": arrow_schema(
        [
            ("model_version", pa.string()),
            ("kind", pa.string()),
            ("created_at", _TS),
            ("training_start", pa.date32()),
            ("training_end", pa.date32()),
            ("data_fingerprint", pa.string()),
            ("library_versions", pa.string()),
            ("mase", pa.float64()),
            ("wape", pa.float64()),
            ("bias", pa.float64()),
            ("baseline_naive_mase", pa.float64()),
            ("baseline_seasonal_mase", pa.float64()),
            ("is_current", pa.bool_()),
            ("promoted_at", _TS),
            ("status", pa.string()),
            ("reason", pa.string()),
        ]
    ),
    "planogram_recommendations": arrow_schema(
        [
            ("recommendation_id", pa.string()),
            ("run_id", pa.string()),
            ("machine_serial", pa.string()),
            ("asset_number", pa.string()),
            ("cabinet", pa.int64()),
            ("slot", pa.string()),
            ("selection", pa.string()),
            ("current_product_id", pa.string()),
            ("recommended_product_id", pa.string()),
            ("change", pa.string()),
            ("current_capacity", pa.int64()),
            ("capacity", pa.int64()),
            ("current_par_level", pa.int64()),
            ("par_level", pa.int64()),
            ("current_weekly_units", pa.float64()),
            ("expected_weekly_units", pa.float64()),
            ("current_weekly_revenue", pa.float64()),
            ("expected_weekly_revenue", pa.float64()),
            ("expected_change_units", pa.float64()),
            ("expected_change_revenue", pa.float64()),
            ("objective", pa.string()),
            ("reason", pa.string()),
            ("source", pa.string()),
            ("ai_status", pa.string()),
            ("ai_model", pa.string()),
            ("model_version", pa.string()),
            ("created_at", _TS),
            # the cost of a change (models/planogram/changeover.py); 0 / NULL on a slot kept
            ("swap_cost", pa.float64()),
            ("weekly_gain", pa.float64()),
            ("weekly_gain_low", pa.float64()),
            ("weekly_gain_high", pa.float64()),
            ("horizon_weeks", pa.float64()),
            ("net_gain", pa.float64()),
            ("trial", pa.bool_()),
            ("visit_date", pa.date32()),
            ("visit_source", pa.string()),
        ]
    ),
    "service_scores": arrow_schema(
        [
            ("as_of", _TS),
            ("machine_serial", pa.string()),
            ("asset_number", pa.string()),
            ("route_id", pa.string()),
            ("score", pa.float64()),
            ("needs_visit", pa.bool_()),
            ("need_date", pa.date32()),
            ("sold_out_slots", pa.int64()),
            ("share_depleted", pa.float64()),
            ("units_since_visit", pa.float64()),
            ("days_since_service", pa.float64()),
            ("core_out", pa.int64()),
            ("reasons", pa.string()),
        ]
    ),
    "service_plan": arrow_schema(
        [
            ("plan_date", pa.date32()),
            ("route_id", pa.string()),
            ("driver", pa.string()),
            ("stop", pa.int64()),
            ("machine_serial", pa.string()),
            ("asset_number", pa.string()),
            ("location_id", pa.string()),
            ("score", pa.float64()),
            ("reasons", pa.string()),
        ]
    ),
    "service_plan_picks": arrow_schema(
        [
            ("plan_date", pa.date32()),
            ("route_id", pa.string()),
            ("machine_serial", pa.string()),
            ("asset_number", pa.string()),
            ("cabinet_index", pa.int64()),
            ("cabinet_id", pa.int64()),
            ("slot", pa.string()),
            ("selection", pa.string()),
            ("product_id", pa.string()),
            ("product_name", pa.string()),
            ("par_level", pa.int64()),
            ("predicted_level", pa.float64()),
            ("quantity", pa.int64()),
        ]
    ),
}


# Every change a run recommended (planogram_recommendations' rows other than "keep"), one dataset
# per run below ml/recommendation_log/, kept after the next run replaces the recommendations: what
# recommendation_outcomes compares an accepted change's realised sales with.
SCHEMAS["recommendation_log"] = SCHEMAS["planogram_recommendations"]


def dataset_dir(lake: Location, name: str) -> Location:
    """The lake folder of model output ``name`` (publish versions there)."""
    if name not in SCHEMAS:
        raise KeyError(f"unknown model output {name!r}; known: {', '.join(SCHEMAS)}")
    return lake / ML_DIR / name


def ensure_schemas(lake: Location) -> None:
    """Write every model output's zero-row schema file, so the warehouse views work before the
    model assets first run (and a view over a dataset that is missing is a real error)."""
    for name, schema in SCHEMAS.items():
        write_schema_file(lake, f"{ML_DIR}/{name}", schema)
