"""The planogram recommendations asset: per cabinet, which product in which slot, at what par."""

import dagster as dg

from models.planogram.recommend import recommend
from orchestration.defs.resources import CvdHomeResource
from orchestration.settings import load_ai_config, load_planogram_settings

# Demand comes from the forecast (ml/demand_forecast); with no forecast rows, from the sales marts
# with sold-out time removed, and model_version says which.
RECOMMEND_DEPS = ["sales_marts", "derived_marts", "demand_forecast"]


@dg.asset(deps=RECOMMEND_DEPS, group_name="models", kinds={"duckdb", "parquet"})
def planogram_recommendations(
    context: dg.AssetExecutionContext, cvd: CvdHomeResource
) -> dg.MaterializeResult:
    """Per cabinet of every machine: the product, capacity and par level of each slot that
    maximise expected revenue (or margin, ``CVD_PLANOGRAM_OBJECTIVE``) over the service
    intervals, within the manager's constraints (``$CVD_HOME/planogram.toml``), from the demand
    forecast (else sales corrected for sold-out time) with substitution; reviewed by the AI when
    a key is set. Writes ml/planogram_recommendations, one row per slot (docs/planogram.md)."""
    settings = cvd.settings()
    report = recommend(
        settings.lake,
        load_ai_config(settings),
        load_planogram_settings(settings),
        context.run.run_id,
    )
    for failure in report.failed:
        context.log.error(f"planogram: not optimised: {failure}")
    context.log.info(
        f"planogram: {report.cabinets} cabinets, {report.changed_slots} of {report.rows} slots "
        f"change, {report.recorded_slots} to record as the machine holds them "
        f"(demand: {report.demand_source}; AI: {report.ai_status})"
    )
    return dg.MaterializeResult(
        metadata={
            "cabinets": report.cabinets,
            "rows": report.rows,
            "changed_slots": report.changed_slots,
            "recorded_slots": report.recorded_slots,
            "failed_cabinets": len(report.failed),
            "demand_source": report.demand_source,
            "model_version": report.model_version,
            "constraints": report.constraints_from,
            "ai_status": dg.MetadataValue.json(report.ai_status),
            "path": dg.MetadataValue.path(str(report.path)),
        }
    )
