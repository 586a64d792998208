"""Features of the gradient-boosting model, computed from the panel as of an origin day.

Rates are censoring-aware: units over the in-stock share of the days (a day sold out for half
its hours counts as half a day), so a popular product that sells out reads as popular. Pooled
rates (per product, category, machine) let a series with little or no history borrow from
similar products and from its location."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.forecast.panel import Panel

FEATURES = (
    "rate7",
    "rate28",
    "rate84",
    "rate_weekday",
    "raw_mean7",
    "censored_share28",
    "life28",
    "age",
    "product_rate",
    "category_rate",
    "machine_rate",
    "pooled_guess",
    "traffic",
    "weekday",
    "horizon",
)
TRAFFIC = {"low": 0.0, "medium": 1.0, "high": 2.0}
MIN_EXPOSURE = 0.5  # in-stock days needed before a window's rate counts


@dataclass(frozen=True)
class FeatureRows:
    """Feature matrix rows: one per (series row, horizon day)."""

    x: np.ndarray  # rows × len(FEATURES)
    row: np.ndarray  # panel series row
    col: np.ndarray  # target day column (origin + horizon)


def _window_rate(units: np.ndarray, avail: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Units over in-stock days in columns [lo, hi) (NaN with too little exposure)."""
    lo = max(lo, 0)
    num = np.nansum(units[:, lo:hi], axis=1)
    den = np.nansum(avail[:, lo:hi], axis=1)
    return np.where(den >= MIN_EXPOSURE, num / np.maximum(den, 1e-9), np.nan)


def _group_mean(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per element: the mean of ``values`` over its group, ignoring NaN (NaN if none)."""
    codes, inverse = np.unique(groups, return_inverse=True)
    ok = ~np.isnan(values)
    sums = np.bincount(inverse[ok], weights=values[ok], minlength=len(codes))
    counts = np.bincount(inverse[ok], minlength=len(codes))
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means[inverse]


def origin_features(panel: Panel, origin: int, horizon: int) -> FeatureRows:
    """Features of every series for days origin+1 .. origin+horizon, using data up to and
    including column ``origin`` only."""
    hist = panel.units[:, : origin + 1]
    alive = ~np.isnan(hist)
    avail = np.where(alive, panel.available[:, : origin + 1], np.nan)
    cens = np.where(alive, panel.censored[:, : origin + 1], np.nan)
    end = origin + 1
    rate7 = _window_rate(hist, avail, end - 7, end)
    rate28 = _window_rate(hist, avail, end - 28, end)
    rate84 = _window_rate(hist, avail, end - 84, end)
    life7 = alive[:, max(end - 7, 0) :].sum(axis=1)
    raw7 = np.where(
        life7 > 0, np.nansum(hist[:, max(end - 7, 0) :], axis=1) / np.maximum(life7, 1), np.nan
    )
    life28 = alive[:, max(end - 28, 0) :].sum(axis=1).astype(float)
    cshare = np.where(
        life28 > 0, np.nansum(cens[:, max(end - 28, 0) :], axis=1) / np.maximum(life28, 1), np.nan
    )
    series = panel.series
    age = np.clip(origin - series["first_col"].to_numpy(), -horizon, 365).astype(float)
    product_rate = _group_mean(rate28, series["product_id"].to_numpy())
    category_rate = _group_mean(rate28, series["category"].fill_null("?").to_numpy())
    machine_rate = _group_mean(rate28, series["machine_serial"].to_numpy())
    fleet = np.nanmean(rate28) if np.isfinite(rate28).any() else np.nan
    pooled = machine_rate * np.where(np.isnan(product_rate), category_rate, product_rate) / fleet
    traffic = np.array([TRAFFIC.get(v, np.nan) for v in series["traffic"].fill_null("?").to_list()])

    n = hist.shape[0]
    blocks, cols = [], []
    for h in range(1, horizon + 1):
        target = origin + h
        weekday = float(panel.date_of(target).weekday())
        # the same weekday in the last 4 weeks
        same = [target - 7 * k for k in range(1, 5) if 0 <= target - 7 * k <= origin]
        if same:
            num = np.nansum(hist[:, same], axis=1)
            den = np.nansum(avail[:, same], axis=1)
            rate_wd = np.where(den >= MIN_EXPOSURE, num / np.maximum(den, 1e-9), np.nan)
        else:
            rate_wd = np.full(n, np.nan)
        block = np.column_stack(
            [
                rate7,
                rate28,
                rate84,
                rate_wd,
                raw7,
                cshare,
                life28,
                age,
                product_rate,
                category_rate,
                machine_rate,
                pooled,
                traffic,
                np.full(n, weekday),
                np.full(n, float(h)),
            ]
        )
        blocks.append(block)
        cols.append(np.full(n, target))
    return FeatureRows(
        x=np.vstack(blocks), row=np.tile(np.arange(n), horizon), col=np.concatenate(cols)
    )
