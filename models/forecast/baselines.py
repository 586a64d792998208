"""Baselines that need the panel, not just the units: the weekday shape of the fleet, the hours a
slot was in stock, and which machine and product a series is.

- ``ma_28_weekday``: the mean daily units of the last 28 days, shaped by weekday (the simplest
  forecast an operator makes by hand).
- ``pooled_rate``: the planogram optimiser's demand estimate (``planogram.candidates``): units over
  in-stock days of the last ``RATE_WINDOW_DAYS`` (a sold-out day is not read as low demand),
  pooled per machine × product toward the ``traffic × appeal`` model by empirical Bayes
  (``pooled_rates``), then shaped by weekday. Pooling is what lets a few weeks of noisy counts
  say much: a pair's own rate weighs against the fleet's with the weight its evidence earns.

The weekday shape is the fleet's (units per weekday over all series in the window): one series'
four Mondays say little, the fleet's say a lot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from models.forecast.methods import BASELINES, SIMPLE_METHODS
from models.forecast.panel import Panel
from models.planogram.candidates import fill_absent, pooled_rates

WEEKDAY_WINDOW_DAYS = 28  # the weekday shape and the operator's mean
RATE_WINDOW_DAYS = 28  # the planogram context's sales window (SALES_WINDOW_DAYS)
WEEK = 7


def weekday_profile(panel: Panel, origin: int, window: int = WEEKDAY_WINDOW_DAYS) -> np.ndarray:
    """Seven factors (Monday first), mean 1: the fleet's mean units on each weekday over the
    ``window`` days up to ``origin``, relative to the mean weekday. Flat where a weekday is
    missing from the window or nothing sold."""
    first = max(0, origin - window + 1)
    total = np.nansum(panel.units[:, first : origin + 1], axis=0)
    weekdays = np.array([panel.date_of(c).weekday() for c in range(first, origin + 1)])
    per_day = np.array(
        [total[weekdays == w].mean() if (weekdays == w).any() else np.nan for w in range(WEEK)]
    )
    if np.isnan(per_day).any() or per_day.mean() <= 0:
        return np.ones(WEEK)
    return per_day / per_day.mean()


def shaped(panel: Panel, origin: int, level: np.ndarray, horizon: int) -> np.ndarray:
    """A daily ``level`` per series (units on an average day) times the weekday factor of each
    day after ``origin``."""
    profile = weekday_profile(panel, origin)
    ahead = [panel.date_of(origin + h).weekday() for h in range(1, horizon + 1)]
    return level[:, None] * profile[ahead][None, :]


def ma_28_weekday(panel: Panel, origin: int, horizon: int) -> np.ndarray:
    """The mean of the last 28 days shaped by the fleet's weekday profile."""
    history = panel.units[:, : origin + 1]
    level = SIMPLE_METHODS["ma_28"](history, 1)[:, 0]
    return shaped(panel, origin, level, horizon)


def censored_rates(panel: Panel, origin: int, window: int = RATE_WINDOW_DAYS) -> np.ndarray:
    """Per series: units per in-stock day over the ``window`` days up to ``origin``, pooled per
    machine × product (a product in two selections counts its customers once: the cell has
    their units and mean in-stock days, and hands its rate back in proportion to their units),
    toward ``traffic × appeal``; a pair not observed gets the model's rate."""
    first = max(0, origin - window + 1)
    units = panel.units[:, first : origin + 1]
    life = ~np.isnan(units)
    exposure = np.where(life, panel.available[:, first : origin + 1], 0.0).sum(axis=1)
    sold = np.nansum(units, axis=1)
    keys = panel.series.select(
        pl.col("machine_serial").rank("dense").cast(pl.Int64) - 1,
        pl.col("product_id").rank("dense").cast(pl.Int64) - 1,
    )
    mi, pi = keys["machine_serial"].to_numpy(), keys["product_id"].to_numpy()
    shape = (int(mi.max()) + 1, int(pi.max()) + 1) if len(mi) else (0, 0)
    cell_units, cell_exposure, cell_series = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    alive = life.any(axis=1)
    np.add.at(cell_units, (mi[alive], pi[alive]), sold[alive])
    np.add.at(cell_exposure, (mi[alive], pi[alive]), exposure[alive])
    np.add.at(cell_series, (mi[alive], pi[alive]), 1.0)
    observed = cell_series > 0
    mean_exposure = np.divide(cell_exposure, cell_series, out=np.zeros(shape), where=observed)
    rate, _ = pooled_rates(
        np.where(observed, cell_units, np.nan), np.where(observed, mean_exposure, np.nan)
    )
    rate = np.nan_to_num(fill_absent(rate))
    share = np.where(
        cell_units[mi, pi] > 0,
        sold / np.maximum(cell_units[mi, pi], 1e-12),
        1.0 / np.maximum(cell_series[mi, pi], 1.0),
    )
    return rate[mi, pi] * np.where(alive, share, 1.0)


def pooled_rate(panel: Panel, origin: int, horizon: int) -> np.ndarray:
    """The censoring-aware pooled rate (:func:`censored_rates`) shaped by weekday."""
    return shaped(panel, origin, censored_rates(panel, origin), horizon)


PANEL_BASELINES: dict[str, Callable[[Panel, int, int], np.ndarray]] = {
    "ma_28_weekday": ma_28_weekday,
    "pooled_rate": pooled_rate,
}
# every model must beat all of them (``registry.decide``)
BASELINE_METHODS = (*BASELINES, *PANEL_BASELINES)


def simple_forecast(method: str, panel: Panel, origin: int, horizon: int) -> np.ndarray:
    """``method``'s forecast (any method but gbm) of every series for the ``horizon`` days after
    column ``origin``, from the data up to it only."""
    if method in PANEL_BASELINES:
        return PANEL_BASELINES[method](panel, origin, horizon)
    return SIMPLE_METHODS[method](panel.units[:, : origin + 1], horizon)
