"""Slot levels now and day by day over the horizon, and the first day a machine needs service.

Levels only fall between visits: each day takes that day's expected units (the demand forecast,
or the slot's recent rate), never below zero.
"""

from __future__ import annotations

import numpy as np


def level_now(base_level: np.ndarray, rate_per_day: np.ndarray, age_days: float) -> np.ndarray:
    """The level ``age_days`` after a known level (a read, or a refill), selling at the rate."""
    return np.maximum(base_level - rate_per_day * max(age_days, 0.0), 0.0)


def project_levels(start: np.ndarray, daily_units: np.ndarray) -> np.ndarray:
    """End-of-day levels for each day of the horizon: shape (days, slots), never below zero.
    ``daily_units`` has shape (days, slots)."""
    return np.maximum(start[None, :] - np.cumsum(daily_units, axis=0), 0.0)


def level_at_visit(
    start: np.ndarray, daily_units: np.ndarray, day: int, day_share: float
) -> np.ndarray:
    """The level at a visit on horizon day ``day`` (1-based) after ``day_share`` of that day's
    demand (the visit hour as a share of the day)."""
    before = daily_units[: day - 1].sum(axis=0) if day > 1 else 0.0
    return np.maximum(start - before - daily_units[day - 1] * day_share, 0.0)


def first_day_over(scores: np.ndarray, threshold: float) -> int | None:
    """The first 1-based day whose score reaches ``threshold``; None when none does."""
    over = np.flatnonzero(np.asarray(scores) >= threshold)
    return int(over[0]) + 1 if over.size else None
