"""Demand forecast assets: features, the trained model (backtest, registry, promotion) and the
forecast of every current slot for the next 14 days; plus the weekly forced retraining."""

import dagster as dg

from models.forecast.data import load_sources
from models.forecast.panel import NotEnoughDataError, build_panel
from models.forecast.pipeline import forecast, train
from models.output_schemas import dataset_dir
from models.registry import BASELINES, Registry
from orchestration.defs.ingest.assets import MASTER_TABLES
from orchestration.defs.resources import CvdHomeResource

FORECAST_ASSETS = ("forecast_features", "demand_model", "demand_forecast")


@dg.asset(
    deps=["sales_marts", "derived_marts", *MASTER_TABLES], group_name="models", kinds={"polars"}
)
def forecast_features(
    context: dg.AssetExecutionContext, cvd: CvdHomeResource
) -> dg.MaterializeResult:
    """The daily panel the forecasts learn from: per machine × selection × product, units per
    day (zero days filled) and the hours the slot was sold out (``fct_stockouts``); days sold
    out 2 h or more are censored. Its fingerprint decides whether the model is retrained.
    (Downstream assets rebuild the panel from the lake, about a second, so nothing stale passes
    between them.)"""
    try:
        panel = build_panel(load_sources(cvd.settings().lake))
    except NotEnoughDataError as exc:
        context.log.warning(f"no forecast features: {exc}")
        return dg.MaterializeResult(metadata={"series": 0, "why": str(exc)})
    censored = panel.censored_share
    context.log.info(
        f"panel: {panel.units.shape[0]} series x {panel.days} days up to {panel.last_day}, "
        f"{censored:.1%} of days censored"
    )
    return dg.MaterializeResult(
        metadata={
            "series": panel.units.shape[0],
            "current_slots": int(panel.series["is_current"].sum()),
            "days": panel.days,
            "first_day": str(panel.start),
            "last_day": str(panel.last_day),
            "censored_share": censored,
            "data_fingerprint": panel.fingerprint,
        }
    )


class TrainConfig(dg.Config):
    """``force``: train even when the current model saw exactly this data."""

    force: bool = False


@dg.asset(deps=["forecast_features"], group_name="models", kinds={"sklearn", "skops"})
def demand_model(
    context: dg.AssetExecutionContext, cvd: CvdHomeResource, config: TrainConfig
) -> dg.MaterializeResult:
    """Train when there is no current model or the data changed (or when forced): rolling-origin
    backtest of every method, the best candidate by WAPE fitted on all data and stored in the
    registry; it becomes current only if it beats both baselines and the current model on the
    same cutoffs, else it is kept as 'rejected' with the reason. Writes ml/forecast_backtest and
    ml/model_versions."""
    home = cvd.settings().home
    report = train(home, force=config.force, progress=context.log.debug, lake=cvd.settings().lake)
    if report.skipped:
        context.log.info(f"demand model: not retrained ({report.skipped})")
        return dg.MaterializeResult(
            metadata={
                "retrained": False,
                "why": report.skipped,
                "model_version": report.version or "",
            }
        )
    assert report.backtest is not None and report.decision is not None
    context.log.info(f"demand model {report.version} ({report.method}): {report.decision.reason}")
    scores = report.backtest.overall
    return dg.MaterializeResult(
        metadata={
            "retrained": True,
            "model_version": report.version or "",
            "method": report.method or "",
            "promoted": report.decision.promote,
            "why": report.decision.reason,
            "series": report.series,
            "censored_share": report.backtest.censored_share,
            "cutoffs": ", ".join(str(c) for c in report.backtest.cutoffs),
            "scores": dg.MetadataValue.json(
                {m: scores[m] for m in (report.method or "", *BASELINES) if m in scores}
            ),
            "current": Registry(home).current() or "",
        }
    )


@dg.asset(deps=["demand_model"], group_name="models", kinds={"parquet"})
def demand_forecast(
    context: dg.AssetExecutionContext, cvd: CvdHomeResource
) -> dg.MaterializeResult:
    """Expected (uncensored) daily demand of every current slot for the 14 days after the data's
    last day, with an 80% interval, from the current model (the seasonal-naive baseline when no
    model is current). Writes ml/demand_forecast."""
    settings = cvd.settings()
    report = forecast(settings.home, lake=settings.lake)
    context.log.info(
        f"forecast: {report.slots} slots x 14 days ({report.first_date}..{report.last_date}) "
        f"with {report.method} {report.model_version}"
    )
    return dg.MaterializeResult(
        metadata={
            "rows": report.rows,
            "slots": report.slots,
            "method": report.method,
            "model_version": report.model_version,
            "first_date": report.first_date,
            "last_date": report.last_date,
            "path": dg.MetadataValue.path(str(dataset_dir(settings.lake, "demand_forecast"))),
        }
    )


model_training_job = dg.define_asset_job(
    "weekly_model_training",
    selection=dg.AssetSelection.assets(*FORECAST_ASSETS, "warehouse"),
    description="Retrain the demand model (forced), forecast, and swap in the catalog.",
)


@dg.schedule(
    job=model_training_job,
    cron_schedule="0 4 * * 0",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def weekly_model_training(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Sundays 04:00: a forced retrain. Stopped by default: the nightly run already retrains
    whenever the data changed; switch this on to retrain after a code upgrade, say."""
    day = context.scheduled_execution_time.date().isoformat()
    return dg.RunRequest(
        run_key=f"weekly-training-{day}",
        run_config={"ops": {"demand_model": {"config": {"force": True}}}},
    )
