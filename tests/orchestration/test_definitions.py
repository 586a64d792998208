"""The definitions are whatever ``orchestration/defs/`` holds: the folder loader finds every
asset, check, sensor, schedule and the shared resources, with nothing listed by hand."""

from __future__ import annotations

from orchestration.definitions import defs

# The graph as README.md's architecture section draws it
ASSETS = {
    "inbox",
    "raw_dex",
    *("products", "locations", "routes", "devices", "cabinets"),
    *("planogram_slots", "planogram_history", "recommendation_decisions"),
    "sales_marts",
    "derived_marts",
    *("cash_collections", "cash_marts"),
    *("forecast_features", "demand_model", "demand_forecast"),
    "planogram_recommendations",
    "service_plan",
    "warehouse",
    "alerts",
}


def test_the_defs_folder_yields_the_whole_graph() -> None:
    loaded = defs()
    graph = loaded.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == ASSETS
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {
        ("sales_marts", "no_negative_sales"),
        ("sales_marts", "daily_totals_equal_interval_totals"),
        ("sales_marts", "every_read_in_exactly_one_interval"),
        ("raw_dex", "dex_selection_counters__great_expectations_suite"),
    } <= checks
    assert {s.name for s in loaded.sensors or []} == {
        "inbox_sensor",
        "http_deliveries_sensor",
        "build_after_days",
    }
    assert {s.name for s in loaded.schedules or []} == {
        "nightly",
        "weekly_model_training",
        "maintenance_after_ingest",
        "nightly_backup",
        "alert_check_hourly",
        "alert_digest_daily",
    }
    assert set(loaded.resources or {}) == {"cvd", "operational_db"}
    loaded.get_repository_def()  # every resource requirement is met (raises otherwise)
