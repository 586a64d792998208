"""Rolling-origin backtests by date cutoff: every method forecasts the 14 days after each
cutoff from the data up to it, and is scored on what followed.

Observed scores (MASE, WAPE, bias) use the days the slot was in stock (a censored day's sales
understate demand, so scoring on it would reward forecasting the stock-out). MASE is scaled per
series by the in-sample MAE of the seasonal-naive forecast (lag 7, in-stock days before the
cutoff). With the simulator's truth, ``wape_vs_true`` compares with the true expected demand
on every day, censored or not; ``wape_all_days`` compares with observed sales on every day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from models.forecast import gbm
from models.forecast.baselines import BASELINE_METHODS, simple_forecast
from models.forecast.panel import NotEnoughDataError, Panel
from models.forecast.scores import ScoreSums, mase_terms, seasonal_scale

HORIZON = gbm.HORIZON
N_CUTOFFS = 4
MIN_TRAIN_DAYS = 28
CANDIDATES = ("croston", "sba", "tsb", "gbm")  # methods that may become the model
METHODS = (*BASELINE_METHODS, *CANDIDATES)


def cutoffs(
    panel: Panel, n: int = N_CUTOFFS, horizon: int = HORIZON, min_train_days: int = MIN_TRAIN_DAYS
) -> list[int]:
    """Cutoff columns (last day seen), ``horizon`` days apart, the last horizon ending on the
    data's last day; only cutoffs with ``min_train_days`` of history before them."""
    last = panel.days - 1
    found = [last - horizon * k for k in range(1, n + 1)]
    return sorted(c for c in found if c >= max(min_train_days, 1) - 1)


def truth_matrix(panel: Panel, truth: pl.DataFrame | None) -> np.ndarray | None:
    """True expected demand aligned with the panel (NaN outside a series' life or unknown)."""
    if truth is None:
        return None
    keyed = (
        truth.join(
            panel.series.select("machine_serial", "selection", "row", "first_col", "last_col"),
            on=["machine_serial", "selection"],
        )
        .with_columns((pl.col("sales_date") - pl.lit(panel.start)).dt.total_days().alias("col"))
        .filter(
            (pl.col("col") >= pl.col("first_col"))
            & (pl.col("col") <= pl.col("last_col"))
            & pl.col("col").is_between(0, panel.days - 1)
        )
    )
    out = np.full(panel.units.shape, np.nan)
    out[keyed["row"].to_numpy(), keyed["col"].to_numpy()] = keyed["true_demand"].to_numpy()
    return out


def forecast(method: str, panel: Panel, origin: int, horizon: int = HORIZON) -> np.ndarray:
    """``method``'s forecast of every series for the days after column ``origin``, fitted on
    data up to it only."""
    if method == "gbm":
        return gbm.predict(gbm.fit(panel, origin, horizon), panel, origin, horizon)
    return simple_forecast(method, panel, origin, horizon)


@dataclass
class CutoffScore:
    """One method's scores at one cutoff."""

    method: str
    cutoff: date
    horizon_days: int
    series: int
    scores: dict[str, float | None]


@dataclass
class BacktestResult:
    """Per (method, cutoff) rows, pooled scores per method, and the NB dispersion per method
    (for prediction intervals)."""

    rows: list[CutoffScore]
    overall: dict[str, dict[str, float | None]]
    dispersion: dict[str, float]
    cutoffs: list[date]
    censored_share: float = 0.0


def score_cutoff(
    panel: Panel, origin: int, predicted: np.ndarray, truth: np.ndarray | None, horizon: int
) -> tuple[ScoreSums, float, float]:
    """Score one forecast made at ``origin``; also the dispersion moments (sum of
    (y-μ)²-μ, sum of μ²) over in-stock days."""
    span = slice(origin + 1, origin + 1 + horizon)
    alive = panel.series["first_col"].to_numpy() <= origin
    actual = panel.units[:, span]
    width = actual.shape[1]
    predicted = predicted[:, :width]
    life = ~np.isnan(actual) & alive[:, None]
    instock = life & ~panel.censored[:, span]
    observed = np.nan_to_num(actual)
    hist = panel.units[:, : origin + 1]
    usable = ~np.isnan(hist) & ~panel.censored[:, : origin + 1]
    scale = seasonal_scale(np.nan_to_num(hist), usable)
    sums = ScoreSums(
        abs_err=float(np.abs(observed - predicted)[instock].sum()),
        err=float((predicted - observed)[instock].sum()),
        actual=float(observed[instock].sum()),
        abs_err_all=float(np.abs(observed - predicted)[life].sum()),
        err_all=float((predicted - observed)[life].sum()),
        actual_all=float(observed[life].sum()),
        mase_terms=mase_terms(observed, predicted, instock, scale).tolist(),
        series=int((life.any(axis=1)).sum()),
    )
    if truth is not None:
        true_units = truth[:, span]
        known = life & ~np.isnan(true_units)
        sums.abs_err_true = float(np.abs(true_units - predicted)[known].sum())
        sums.err_true = float((predicted - true_units)[known].sum())
        sums.true = float(true_units[known].sum())
    excess_sq = float(((observed - predicted) ** 2 - predicted)[instock].sum())
    mean_sq = float((predicted**2)[instock].sum())
    return sums, excess_sq, mean_sq


def run_backtest(
    panel: Panel,
    truth: pl.DataFrame | None = None,
    *,
    methods: tuple[str, ...] = METHODS,
    n_cutoffs: int = N_CUTOFFS,
    horizon: int = HORIZON,
    min_train_days: int = MIN_TRAIN_DAYS,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Backtest ``methods`` at the panel's cutoffs. Raises NotEnoughDataError if there is no
    cutoff (less than ``min_train_days`` + ``horizon`` days of data)."""
    cutoff_cols = cutoffs(panel, n_cutoffs, horizon, min_train_days)
    if not cutoff_cols:
        raise NotEnoughDataError(
            f"{panel.days} days of data: a backtest needs at least {min_train_days + horizon}"
        )
    truth_units = truth_matrix(panel, truth)
    rows: list[CutoffScore] = []
    pooled = {m: ScoreSums() for m in methods}
    moments = {m: [0.0, 0.0] for m in methods}
    for origin in cutoff_cols:
        for method in methods:
            if progress:
                progress(f"{method} at cutoff {panel.date_of(origin)}")
            sums, excess_sq, mean_sq = score_cutoff(
                panel, origin, forecast(method, panel, origin, horizon), truth_units, horizon
            )
            rows.append(
                CutoffScore(method, panel.date_of(origin), horizon, sums.series, sums.scores())
            )
            pooled[method].add(sums)
            moments[method][0] += excess_sq
            moments[method][1] += mean_sq
    return BacktestResult(
        rows=rows,
        overall={m: s.scores() for m, s in pooled.items()},
        dispersion={m: max(0.0, a / b) if b > 0 else 0.0 for m, (a, b) in moments.items()},
        cutoffs=[panel.date_of(c) for c in cutoff_cols],
        censored_share=panel.censored_share,
    )


def short_backtest(panel: Panel, truth: pl.DataFrame | None = None) -> BacktestResult:
    """For a history too short for :func:`run_backtest`: the baselines on the one holdout it
    allows, its last third (at most ``HORIZON`` days), forecast from the days before.
    Raises NotEnoughDataError with fewer than 3 days."""
    horizon = min(HORIZON, panel.days // 3)
    if horizon < 1:
        raise NotEnoughDataError(f"{panel.days} days of data: no holdout to compare baselines on")
    return run_backtest(
        panel,
        truth,
        methods=BASELINE_METHODS,
        n_cutoffs=1,
        horizon=horizon,
        min_train_days=panel.days - horizon,
    )


def strongest(result: BacktestResult, methods: tuple[str, ...]) -> str | None:
    """Of ``methods``, the one with the lowest pooled WAPE on in-stock days (None if none
    could be scored); ties go to the first in ``methods``."""
    scored = [
        (s, i, m)
        for i, m in enumerate(methods)
        if m in result.overall and (s := result.overall[m]["wape"]) is not None
    ]
    return min(scored)[2] if scored else None
