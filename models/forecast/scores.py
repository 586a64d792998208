"""Forecast scores: MASE, WAPE and bias (never MAPE: it explodes on the zero days that
intermittent vending series are full of).

All take ``actual`` and ``forecast`` arrays of the same shape (series × days) and a boolean
``mask`` of the cells to score. Accumulators let several cutoffs be pooled."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

SEASON = 7


def wape(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |actual - forecast| / sum actual (NaN if 0)."""
    total = float(actual[mask].sum())
    return float(np.abs(actual[mask] - forecast[mask]).sum()) / total if total > 0 else float("nan")


def bias(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray) -> float:
    """Relative bias: sum (forecast - actual) / sum actual; positive means over-forecast."""
    total = float(actual[mask].sum())
    return float((forecast[mask] - actual[mask]).sum()) / total if total > 0 else float("nan")


def seasonal_scale(history: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Per series: the in-sample MAE of the seasonal-naive forecast (lag 7) over the days
    where both the day and the day a week before are ``usable``. NaN where there is none."""
    diff = np.abs(history[:, SEASON:] - history[:, :-SEASON])
    ok = usable[:, SEASON:] & usable[:, :-SEASON]
    count = ok.sum(axis=1)
    total = np.where(ok, diff, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def mase_terms(
    actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Per series: its MAE over the masked days divided by its scale; only series with a
    positive scale and at least one masked day (the others are left out)."""
    count = mask.sum(axis=1)
    mae = np.where(mask, np.abs(actual - forecast), 0.0).sum(axis=1) / np.maximum(count, 1)
    keep = (count > 0) & np.isfinite(scale) & (scale > 0)
    return mae[keep] / scale[keep]


def mase(actual: np.ndarray, forecast: np.ndarray, mask: np.ndarray, scale: np.ndarray) -> float:
    """Mean absolute scaled error: the mean over series of :func:`mase_terms`."""
    terms = mase_terms(actual, forecast, mask, scale)
    return float(terms.mean()) if len(terms) else float("nan")


@dataclass
class ScoreSums:
    """Running sums from which WAPE, bias and MASE of several cutoffs are pooled."""

    abs_err: float = 0.0
    err: float = 0.0
    actual: float = 0.0
    abs_err_true: float = 0.0
    err_true: float = 0.0
    true: float = 0.0
    err_all: float = 0.0
    abs_err_all: float = 0.0
    actual_all: float = 0.0
    mase_terms: list[float] = field(default_factory=list)
    series: int = 0

    def add(self, other: ScoreSums) -> None:
        """Add another cutoff's sums."""
        for name in (f.name for f in fields(self) if f.name not in ("mase_terms", "series")):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.mase_terms.extend(other.mase_terms)
        self.series += other.series

    def scores(self) -> dict[str, float | None]:
        """mase, wape, bias (observed, in-stock days); wape_vs_true, bias_vs_true (true
        demand, every day); wape_all_days, bias_all_days (observed, every day)."""

        def ratio(a: float, b: float) -> float | None:
            return a / b if b > 0 else None

        return {
            "mase": float(np.mean(self.mase_terms)) if self.mase_terms else None,
            "wape": ratio(self.abs_err, self.actual),
            "bias": ratio(self.err, self.actual),
            "wape_vs_true": ratio(self.abs_err_true, self.true),
            "bias_vs_true": ratio(self.err_true, self.true),
            "wape_all_days": ratio(self.abs_err_all, self.actual_all),
            "bias_all_days": ratio(self.err_all, self.actual_all),
        }
