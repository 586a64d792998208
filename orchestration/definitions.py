"""All Dagster definitions of CVD, assembled from ``orchestration/defs/<domain>/``.

Loaded by ``dg dev`` / ``dg check defs`` and by ``cvd materialize``. Configuration comes from the
environment (``CVD_HOME``, ``CVD_DATABASE_URL``) with the same defaults as the CLI.
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.defs.ingest.assets import inbox, master_data, raw_dex
from orchestration.defs.ingest.checks import counters_expectations, raw_sql_checks
from orchestration.defs.ingest.jobs import ingest_job
from orchestration.defs.ingest.resources import CvdHomeResource, OperationalDatabaseResource
from orchestration.defs.ingest.schedules import nightly
from orchestration.defs.ingest.sensors import (
    build_after_days,
    http_deliveries_sensor,
    inbox_sensor,
)
from orchestration.defs.marts.assets import sales_marts
from orchestration.defs.marts.checks import METRICS_CHECKS
from orchestration.defs.marts.derived_assets import derived_marts
from orchestration.defs.models.forecast_assets import (
    demand_forecast,
    demand_model,
    forecast_features,
    weekly_model_training,
)
from orchestration.defs.models.plan_assets import service_plan
from orchestration.defs.models.recommend_assets import planogram_recommendations
from orchestration.defs.warehouse.assets import warehouse
from orchestration.settings import load_settings


def _from_env(name: str, default: str) -> str | dg.EnvVar:
    """The variable itself when it is set (Dagster shows it as such), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


_settings = load_settings()  # defaults that follow CVD_HOME, as the CLI's do
RESOURCES = {
    "cvd": CvdHomeResource(home=_from_env("CVD_HOME", str(_settings.home))),
    "operational_db": OperationalDatabaseResource(
        url=_from_env("CVD_DATABASE_URL", _settings.database_url)
    ),
}

defs = dg.Definitions(
    assets=[
        inbox,
        raw_dex,
        master_data,
        sales_marts,
        derived_marts,
        forecast_features,
        demand_model,
        demand_forecast,
        service_plan,
        planogram_recommendations,
        warehouse,
    ],
    asset_checks=[raw_sql_checks, counters_expectations, *METRICS_CHECKS],
    jobs=[ingest_job],
    sensors=[inbox_sensor, http_deliveries_sensor, build_after_days],
    schedules=[nightly, weekly_model_training],
    resources=RESOURCES,
)
