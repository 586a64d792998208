"""Training and forecasting end to end: lake → panel → backtest → choose → fit → registry,
and current model → ``ml/demand_forecast``. What the Dagster assets and `cvd models` call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.forecast.backtest import (
    CANDIDATES,
    HORIZON,
    BacktestResult,
    run_backtest,
    short_backtest,
    strongest,
)
from models.forecast.baselines import BASELINE_METHODS, simple_forecast
from models.forecast.data import SourceFrames, load_sources, load_truth
from models.forecast.model import DemandModel, fit_model
from models.forecast.outputs import append_backtest, backtest_table, forecast_table
from models.forecast.panel import NotEnoughDataError, Panel, build_panel
from models.output_schemas import SCHEMAS, dataset_dir
from models.registry import KIND, Decision, Registry, library_versions, new_version
from transforms.lake import Location, publish

log = logging.getLogger(__name__)
# what forecasts when not even a 3-day holdout can rank the baselines: the censoring-aware
# pooled rate works from the first day in stock
FALLBACK = "pooled_rate"


@dataclass
class TrainReport:
    """What a training run did."""

    version: str | None
    method: str | None
    decision: Decision | None
    backtest: BacktestResult | None
    fingerprint: str
    series: int
    skipped: str | None = None  # why nothing was trained
    insufficient: bool = False  # skipped because the data is too short


def choose(result: BacktestResult) -> str:
    """The method with the lowest pooled WAPE on in-stock days: a candidate only if it beats
    the strongest baseline (a tie goes to the baseline), else that baseline."""
    best = strongest(result, (*BASELINE_METHODS, *CANDIDATES))
    if best is None:
        raise ValueError("no method could be scored")
    return best


def fallback_method(panel: Panel) -> tuple[str, float]:
    """The method (and its dispersion) to forecast with when no model is current: the
    strongest baseline on the backtest the history allows (the full one, else the one holdout
    of :func:`short_backtest`), never seasonal-naive by default; ``FALLBACK`` when even that
    holdout is impossible."""
    try:
        result = run_backtest(panel, methods=BASELINE_METHODS)
    except NotEnoughDataError:
        try:
            result = short_backtest(panel)
        except NotEnoughDataError:
            return FALLBACK, 0.0
    method = strongest(result, BASELINE_METHODS) or FALLBACK
    return method, result.dispersion.get(method, 0.0)


def needs_training(registry: Registry, fingerprint: str) -> str | None:
    """Why training is needed (no current model, data changed), or None."""
    current = registry.current()
    if current is None:
        return "no current model"
    if registry.metadata(current)["data_fingerprint"] != fingerprint:
        return "data changed since the current model was trained"
    return None


def train(
    home: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
    lake: Location | None = None,
) -> TrainReport:
    """Train, backtest and register a model on ``home``'s data (its lake: ``lake``, by default
    ``home/lake``). Without ``force``, nothing is trained when the current model was trained on
    exactly this data."""
    now = now or datetime.now(UTC)
    lake = home / "lake" if lake is None else lake
    registry = Registry(home)
    try:
        panel = build_panel(load_sources(lake))
    except NotEnoughDataError as exc:
        registry.export(lake)
        return TrainReport(registry.current(), None, None, None, "", 0, str(exc), True)
    why = needs_training(registry, panel.fingerprint)
    if why is None and not force:
        current = registry.current()
        return TrainReport(
            current,
            None,
            None,
            None,
            panel.fingerprint,
            panel.units.shape[0],
            skipped=f"current model {current} was trained on this data",
        )
    # too short for a backtest, or a window with no sales at all (a new fleet, a clock far
    # off): nothing can be learnt
    try:
        result = run_backtest(panel, load_truth(home / "truth"), horizon=HORIZON, progress=progress)
        method = choose(result)
        if progress:
            progress(f"fitting {method} on all data")
        model = fit_model(method, panel, result.dispersion[method])
    except NotEnoughDataError as exc:
        registry.export(lake)
        return TrainReport(
            registry.current(), None, None, None, panel.fingerprint, 0, str(exc), True
        )
    version = new_version(panel.fingerprint, now)
    current = registry.current()
    current_score = None
    if current is not None:
        current_method = registry.metadata(current)["method"]
        current_score = result.overall[current_method]["wape"]  # same cutoffs, newer data
    meta: dict[str, Any] = {
        "model_version": version,
        "kind": KIND,
        "method": method,
        "created_at": now.isoformat(),
        "training_start": panel.start.isoformat(),
        "training_end": panel.last_day.isoformat(),
        "data_fingerprint": panel.fingerprint,
        "library_versions": library_versions(),
        "cutoffs": [c.isoformat() for c in result.cutoffs],
        "horizon_days": HORIZON,
        "scores": result.overall,
        "series": panel.units.shape[0],
        "censored_share": result.censored_share,
        "dispersion": result.dispersion[method],
        "compared_with": current,
        "promoted_at": None,
    }
    decision = registry.register(version, model.to_state(), meta, current_score)
    log.info("model %s (%s): %s", version, method, decision.reason)
    created = now.astimezone(UTC).replace(tzinfo=None)
    append_backtest(lake, backtest_table(result, version, created))
    registry.export(lake)
    return TrainReport(version, method, decision, result, panel.fingerprint, panel.units.shape[0])


@dataclass
class ForecastReport:
    """What a forecast run wrote."""

    rows: int
    slots: int
    method: str
    model_version: str
    first_date: str
    last_date: str


def forecast(
    home: Path,
    *,
    now: datetime | None = None,
    src: SourceFrames | None = None,
    lake: Location | None = None,
) -> ForecastReport:
    """Forecast every current slot for the 14 days after the data's last day with the current
    model (the strongest baseline, :func:`fallback_method`, when no model is current) →
    ``ml/demand_forecast`` of ``lake`` (by default ``home/lake``)."""
    now = now or datetime.now(UTC)
    lake = home / "lake" if lake is None else lake
    src = src or load_sources(lake)
    created_at = now.astimezone(UTC).replace(tzinfo=None)
    try:
        panel: Panel = build_panel(src)
    except NotEnoughDataError as exc:
        log.warning("no demand forecast: %s", exc)
        publish(dataset_dir(lake, "demand_forecast"), SCHEMAS["demand_forecast"].empty_table())
        return ForecastReport(0, src.slots.height, "none", "", "", "")
    registry = Registry(home)
    version = registry.current()
    origin = panel.days - 1
    if version is None:
        method, dispersion = fallback_method(panel)
        log.warning("no current demand model: forecasting with the strongest baseline, %s", method)
        version = "baseline"
        expected = simple_forecast(method, panel, origin, HORIZON)
    else:
        model = DemandModel.from_state(registry.load(version))
        method, dispersion = model.method, model.dispersion
        expected = model.expected(panel, origin, HORIZON)
    slots = src.slots.select("machine_serial", "cabinet_index", "slot", "selection", "product_id")
    table = forecast_table(
        panel,
        slots,
        expected,
        dispersion=dispersion,
        method=method,
        version=version,
        created_at=created_at,
    )
    publish(dataset_dir(lake, "demand_forecast"), table)
    dates = table.column("forecast_date")
    return ForecastReport(
        rows=table.num_rows,
        slots=slots.height,
        method=method,
        model_version=version,
        first_date=str(dates[0]) if table.num_rows else "",
        last_date=str(dates[-1]) if table.num_rows else "",
    )
