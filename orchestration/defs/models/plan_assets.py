"""The visit plan asset: service scores, the plan of the next day per route and its pick lists."""

import dagster as dg

from models.output_schemas import dataset_dir
from models.visits.writer import plan_lake
from orchestration.defs.resources import CvdHomeResource
from orchestration.settings import load_visit_rules

# After the demand forecast (orchestration/defs/models/forecast_assets.py), whose rows the
# projection uses; where it has none for a slot, the plan uses the slot's recent rate and says so.
PLAN_DEPS = ["sales_marts", "derived_marts", "demand_forecast"]


@dg.asset(deps=PLAN_DEPS, group_name="models", kinds={"duckdb", "parquet"})
def service_plan(cvd: CvdHomeResource) -> dg.MaterializeResult:
    """Visit planning: a service score per machine from weighted rules (sold-out selections,
    share depleted, sales since the last visit, days since service, core products out, maximum
    days between visits; docs/visits.md), the date each machine will need service within 14
    days (slot levels projected with the demand forecast, else each slot's recent rate), the
    machines each route visits on the plan date (the day after the data's last day) in stop
    order, and per machine and slot the units to pick: par minus the predicted level at the
    route hour. Writes ml/service_scores, ml/service_plan and ml/service_plan_picks."""
    settings = cvd.settings()
    rules, source = load_visit_rules(settings)
    report = plan_lake(settings.lake, rules)
    return dg.MaterializeResult(
        metadata={
            "plan_date": str(report.plan_date),
            "as_of": str(report.as_of),
            "rules": str(source or "defaults"),
            "machines_scored": report.machines_scored,
            "needing_visit": report.needing_visit,
            "planned_per_route": dg.MetadataValue.json(report.planned_per_route),
            "units_to_pick": report.units_to_pick,
            "projection": report.projection,
            "path": dg.MetadataValue.path(str(dataset_dir(settings.lake, "service_plan"))),
        }
    )
