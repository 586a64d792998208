"""Simple forecasting methods over a (series × day) history, vectorised across series.

Every function takes ``history`` (N × t, NaN where a series did not exist yet) and the number
of days to forecast, and returns an N × horizon array. The intermittent-demand methods follow
Croston (1972), Syntetos & Boylan (2005, "SBA") and Teunter, Syntetos & Babai (2011, "TSB")."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ALPHA = 0.1  # smoothing of demand size (and interval / probability)
SEASON = 7


def _last_observed(history: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each row (0 where a row has none)."""
    seen = ~np.isnan(history)
    idx = np.where(seen.any(axis=1), history.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1), -1)
    out = np.zeros(history.shape[0])
    ok = idx >= 0
    out[ok] = history[np.flatnonzero(ok), idx[ok]]
    return out


def naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """Last observed day's value, repeated."""
    return np.repeat(_last_observed(history)[:, None], horizon, axis=1)


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """The same weekday of the last observed week: day t+h gets day t+h-7k (k = ceil(h/7)).
    Days not yet in a series' life count as 0."""
    t = history.shape[1]
    out = np.zeros((history.shape[0], horizon))
    for h in range(1, horizon + 1):
        lag = SEASON * int(np.ceil(h / SEASON))
        col = t - 1 + h - lag
        if col >= 0:
            out[:, h - 1] = np.nan_to_num(history[:, col], nan=0.0)
    return out


def croston_level(history: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Croston's demand size over inter-demand interval, per row. The first non-zero demand
    initialises the size and the interval (periods from the series' first day to it)."""
    n = history.shape[0]
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    q = np.zeros(n)
    for col in range(history.shape[1]):
        y = history[:, col]
        seen = ~np.isnan(y)
        q = np.where(seen, q + 1, q)
        hit = seen & (y > 0)
        new = hit & np.isnan(z)
        old = hit & ~np.isnan(z)
        z = np.where(new, y, np.where(old, z + alpha * (y - z), z))
        p = np.where(new, q, np.where(old, p + alpha * (q - p), p))
        q = np.where(hit, 0.0, q)
    return np.where(np.isnan(z), 0.0, z / np.where(np.isnan(p), 1.0, p))


def croston(history: np.ndarray, horizon: int, alpha: float = ALPHA) -> np.ndarray:
    """Croston's method: a flat forecast of size / interval."""
    return np.repeat(croston_level(history, alpha)[:, None], horizon, axis=1)


def sba(history: np.ndarray, horizon: int, alpha: float = ALPHA) -> np.ndarray:
    """Syntetos-Boylan approximation: Croston times (1 - alpha/2), removing its bias."""
    return croston(history, horizon, alpha) * (1.0 - alpha / 2.0)


def tsb_level(history: np.ndarray, alpha: float = ALPHA, beta: float = ALPHA) -> np.ndarray:
    """TSB: demand probability smoothed every day (``beta``), size on demand days (``alpha``).
    The first observed day initialises the probability (1 if it had demand, else 0)."""
    n = history.shape[0]
    prob = np.full(n, np.nan)
    z = np.full(n, np.nan)
    for col in range(history.shape[1]):
        y = history[:, col]
        seen = ~np.isnan(y)
        hit = seen & (y > 0)
        start = seen & np.isnan(prob)
        prob = np.where(start, hit.astype(float), np.where(seen, prob + beta * (hit - prob), prob))
        z = np.where(hit & np.isnan(z), y, np.where(hit, z + alpha * (y - z), z))
    return np.where(np.isnan(z) | np.isnan(prob), 0.0, prob * z)


def tsb(history: np.ndarray, horizon: int, alpha: float = ALPHA) -> np.ndarray:
    """Teunter-Syntetos-Babai: a flat forecast of probability × size (decays when demand stops)."""
    return np.repeat(tsb_level(history, alpha)[:, None], horizon, axis=1)


def moving_average(history: np.ndarray, horizon: int, window: int) -> np.ndarray:
    """The mean of the last ``window`` days of each row (days before a series' life left out;
    0 for a row with none), repeated: an operator's "it sells about this much a day"."""
    recent = history[:, -window:]
    seen = ~np.isnan(recent)
    days = seen.sum(axis=1)
    mean = np.where(days > 0, np.nansum(recent, axis=1) / np.maximum(days, 1), 0.0)
    return np.repeat(mean[:, None], horizon, axis=1)


def _window(days: int) -> Callable[[np.ndarray, int], np.ndarray]:
    def method(history: np.ndarray, horizon: int) -> np.ndarray:
        return moving_average(history, horizon, days)

    method.__doc__ = f"The mean of the last {days} days, repeated."
    return method


MOVING_WINDOWS = (7, 14, 28, 56)
BASELINES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    **{f"ma_{days}": _window(days) for days in MOVING_WINDOWS},
}
SIMPLE_METHODS = {**BASELINES, "croston": croston, "sba": sba, "tsb": tsb}
