"""The learned model: gradient boosting with a Poisson loss on censoring-aware features.

Trained as a direct multi-horizon model: rows are (series, origin, day ahead) taken from
several past origins; the target is the day's units, and days that were censored by a
stock-out (or outside the series' life) are left out of training."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from models.forecast.features import FEATURES, origin_features
from models.forecast.panel import NotEnoughDataError, Panel

log = logging.getLogger(__name__)

HORIZON = 14
ORIGIN_STEP = 7
MAX_ORIGINS = 8  # training origins kept (the most recent ones)
MAX_ROWS = 150_000  # training rows kept (a fixed random sample beyond that)
# One OpenMP thread: on a shared box more threads spin against each other (4x slower measured)
THREADS = 1
MIN_ORIGIN = 7  # the first origin needs a week of history


def make_estimator() -> HistGradientBoostingRegressor:
    """The estimator with the project's fixed hyper-parameters (deterministic)."""
    return HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.1,
        max_iter=100,
        max_bins=63,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )


def training_origins(last_target: int, horizon: int = HORIZON) -> list[int]:
    """Origins whose whole horizon ends at or before column ``last_target``."""
    origins = list(range(last_target - horizon, MIN_ORIGIN - 1, -ORIGIN_STEP))
    return sorted(origins[:MAX_ORIGINS])


def training_rows(
    panel: Panel, last_target: int, horizon: int = HORIZON
) -> tuple[np.ndarray, np.ndarray]:
    """Features and targets from every training origin; censored target days left out."""
    xs, ys = [], []
    for origin in training_origins(last_target, horizon):
        rows = origin_features(panel, origin, horizon)
        y = panel.units[rows.row, rows.col]
        keep = ~np.isnan(y) & ~panel.censored[rows.row, rows.col]
        xs.append(rows.x[keep])
        ys.append(y[keep])
    if not xs:
        raise NotEnoughDataError(f"too little history to train: {panel.days} days")
    return np.vstack(xs), np.concatenate(ys)


# Why a feature can be unknown on every row, for the log
UNKNOWN_HINTS = {
    "traffic": "no machine has a location with a traffic level (master data not imported?)",
}


def without_unknown_features(x: np.ndarray, panel: Panel, last_target: int) -> np.ndarray:
    """``x`` with every feature that is NaN on all rows set to 0, so the model cannot split on
    it (scikit-learn's binning fails on a column with no value at all, "window shape cannot be
    larger than input array shape"). Logs which features and why."""
    unknown = np.isnan(x).all(axis=0)
    if not unknown.any():
        return x
    names = [FEATURES[i] for i in np.flatnonzero(unknown)]
    why = "; ".join(f"{n}: {UNKNOWN_HINTS.get(n, 'no series has a value')}" for n in names)
    log.warning(
        "gbm with targets up to %s: %s unknown on every training row, trained without (%s)",
        panel.date_of(last_target),
        ", ".join(names),
        why,
    )
    x = x.copy()
    x[:, unknown] = 0.0
    return x


def fit(panel: Panel, last_target: int, horizon: int = HORIZON) -> HistGradientBoostingRegressor:
    """Fit on the panel's data up to column ``last_target``. A feature no training row has
    (e.g. traffic before the locations are imported) is left out of the splits."""
    x, y = training_rows(panel, last_target, horizon)
    if not len(y) or float(y.sum()) <= 0:  # a Poisson model cannot learn from no sales at all
        raise NotEnoughDataError(f"no sales in the training window up to day {last_target}")
    if len(y) > MAX_ROWS:
        keep = np.sort(np.random.default_rng(0).choice(len(y), MAX_ROWS, replace=False))
        x, y = x[keep], y[keep]
    x = without_unknown_features(x, panel, last_target)
    with threadpool_limits(THREADS):
        return make_estimator().fit(x, y)


def predict(
    model: HistGradientBoostingRegressor, panel: Panel, origin: int, horizon: int = HORIZON
) -> np.ndarray:
    """Expected units per series (rows) and day ahead (columns) from column ``origin``."""
    rows = origin_features(panel, origin, horizon)
    out = np.zeros((panel.units.shape[0], horizon))
    with threadpool_limits(THREADS):
        out[rows.row, rows.col - origin - 1] = model.predict(rows.x)
    return out
