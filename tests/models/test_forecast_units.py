"""Forecast building blocks against hand-computed values (no simulator, no pipeline)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from models.forecast.methods import croston, naive, sba, seasonal_naive, tsb
from models.forecast.panel import soldout_hours_per_day
from models.forecast.scores import bias, mase, seasonal_scale, wape

SERIES = np.array([[0.0, 3.0, 0.0, 0.0, 2.0]])


def test_croston_and_sba_by_hand() -> None:
    # first demand 3 after 2 periods: z=3, p=2; then 2 after 3 periods:
    # z = 3 + 0.1 (2 - 3) = 2.9, p = 2 + 0.1 (3 - 2) = 2.1 -> 2.9 / 2.1
    assert croston(SERIES, 3) == pytest.approx(np.full((1, 3), 2.9 / 2.1))
    assert sba(SERIES, 1)[0, 0] == pytest.approx(0.95 * 2.9 / 2.1)


def test_tsb_by_hand() -> None:
    # prob: 0 -> 0.1 -> 0.09 -> 0.081 -> 0.081 + 0.1 (1 - 0.081) = 0.1729; size 3 -> 2.9
    assert tsb(SERIES, 2)[0] == pytest.approx([0.1729 * 2.9] * 2)


def test_methods_skip_days_before_a_series_starts() -> None:
    late = np.array([[np.nan, np.nan, 0.0, 4.0]])
    assert croston(late, 1)[0, 0] == pytest.approx(4.0 / 2.0)  # first demand 2 days in
    assert naive(late, 2).tolist() == [[4.0, 4.0]]


def test_seasonal_naive_takes_the_same_weekday() -> None:
    history = np.arange(14, dtype=float)[None, :]  # days 0..13
    fc = seasonal_naive(history, 10)
    # day 14 -> day 7, ..., day 20 -> day 13, day 21 -> day 7 (lag 14), ...
    assert fc[0].tolist() == [7, 8, 9, 10, 11, 12, 13, 7, 8, 9]


def test_scores_by_hand() -> None:
    actual = np.array([[2.0, 0.0, 4.0], [1.0, 1.0, 0.0]])
    forecast = np.array([[1.0, 1.0, 4.0], [1.0, 0.0, 2.0]])
    mask = np.array([[True, True, True], [True, True, False]])
    # |errors| masked: 1 1 0 / 0 1 -> 3 over actual 2+0+4+1+1 = 8
    assert wape(actual, forecast, mask) == pytest.approx(3 / 8)
    # forecast - actual: -1 +1 0 / 0 -1 -> -1 / 8
    assert bias(actual, forecast, mask) == pytest.approx(-1 / 8)
    # series MAE 2/3 and 1/2, scales 2 and 0.5 -> mean(1/3, 1) = 2/3
    assert mase(actual, forecast, mask, np.array([2.0, 0.5])) == pytest.approx(2 / 3)
    # a series with scale 0 is left out
    assert mase(actual, forecast, mask, np.array([2.0, 0.0])) == pytest.approx(1 / 3)


def test_seasonal_scale_uses_only_usable_pairs() -> None:
    history = np.array([[1.0] * 7 + [3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0]])
    usable = np.ones_like(history, dtype=bool)
    # pairs (t, t-7): differences 2,0,0,0,0,0,4 -> 6/7
    assert seasonal_scale(history, usable)[0] == pytest.approx(6 / 7)
    usable[0, 13] = False  # the censored day and its pair drop out -> 2/6
    assert seasonal_scale(history, usable)[0] == pytest.approx(2 / 6)


def test_soldout_hours_split_over_days() -> None:
    episodes = pl.DataFrame(
        {
            "machine_serial": ["M1", "M1"],
            "selection": ["11", "12"],
            "start_at": [datetime(2024, 1, 1, 20), datetime(2024, 1, 3, 22)],
            "end_at": [datetime(2024, 1, 3, 6), datetime(2024, 1, 9)],
        }
    )
    got = soldout_hours_per_day(episodes, date(2024, 1, 1), date(2024, 1, 4)).sort(
        "selection", "day"
    )
    assert got.select("selection", "day", "hours").rows() == [
        ("11", date(2024, 1, 1), 4.0),
        ("11", date(2024, 1, 2), 24.0),
        ("11", date(2024, 1, 3), 6.0),
        ("12", date(2024, 1, 3), 2.0),
        ("12", date(2024, 1, 4), 24.0),  # cut at the last day
    ]
