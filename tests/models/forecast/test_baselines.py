"""The baselines every model must beat, on panels written by hand: expected values worked out on
paper from the demand the panel was written with."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from models.forecast.baselines import censored_rates, ma_28_weekday, weekday_profile
from models.forecast.methods import BASELINES, moving_average
from models.forecast.panel import Panel

MONDAY = date(2024, 1, 1)


def panel(
    keys: list[tuple[str, str, str]], units: np.ndarray, soldout_hours: np.ndarray | None = None
) -> Panel:
    """A panel of ``keys`` (machine, selection, product) alive on every day."""
    days = units.shape[1]
    series = pl.DataFrame(
        {
            "machine_serial": [k[0] for k in keys],
            "selection": [k[1] for k in keys],
            "product_id": [k[2] for k in keys],
            "first_col": [0] * len(keys),
            "last_col": [days - 1] * len(keys),
        }
    ).with_row_index("row")
    hours = np.zeros(units.shape) if soldout_hours is None else soldout_hours
    return Panel(series, MONDAY, units.astype(float), hours, "hand")


def test_moving_averages_leave_out_days_before_a_series_life() -> None:
    history = np.array([[np.nan, 1.0, 2.0, 3.0, 4.0], [np.nan] * 5])
    assert moving_average(history, 2, 3).tolist() == [[3.0, 3.0], [0.0, 0.0]]
    # a window longer than the life: the mean of the 4 days it has
    assert moving_average(history, 1, 7)[0, 0] == 2.5
    assert {"ma_7", "ma_14", "ma_28", "ma_56"} <= set(BASELINES)


def test_the_weekday_shape_is_the_fleets() -> None:
    # two series, 4 weeks: weekends sell 3 a day, weekdays 1 (fleet: 6 and 2). Mean weekday
    # (5 x 2 + 2 x 6) / 7 = 22/7, so a weekday is 2 / (22/7) = 7/11, a weekend day 21/11
    week = np.array([1, 1, 1, 1, 1, 3, 3], dtype=float)
    units = np.tile(week, (2, 4))
    p = panel([("M1", "10", "P1"), ("M2", "10", "P1")], units)
    profile = weekday_profile(p, 27)
    assert np.allclose(profile, [7 / 11] * 5 + [21 / 11] * 2)
    # a series' 28-day mean is 11/7 a day: a weekday gets 11/7 x 7/11 = 1, a weekend day
    # 11/7 x 21/11 = 3, the week it was written with (day 28 is a Monday)
    ahead = ma_28_weekday(p, 27, 7)
    assert np.allclose(ahead, [week, week])


def test_the_pooled_rate_reads_sold_out_hours_as_unseen_demand() -> None:
    # true rates: machine A sells 2 of P1 and 1 of P2 a day; machine B twice as much (traffic x
    # appeal exactly, so pooling adds nothing). B's P1 slot is sold out 12 h every day and
    # sells half its demand: 2 a day seen, 4 wanted
    keys = [("A", "10", "P1"), ("A", "11", "P2"), ("B", "10", "P1"), ("B", "11", "P2")]
    seen = np.array([2.0, 1.0, 2.0, 2.0])
    units = np.repeat(seen[:, None], 28, axis=1)
    hours = np.zeros(units.shape)
    hours[2] = 12.0
    rates = censored_rates(panel(keys, units, hours), 27)
    assert np.allclose(rates, [2.0, 1.0, 4.0, 2.0])


def test_a_product_in_two_selections_counts_its_customers_once() -> None:
    # machine A holds P1 in two selections selling 3 and 1 a day (4 wanted in all), P2 in one
    # selling 2; machine B sells 8 of P1 and 4 of P2: traffic x appeal exactly again
    keys = [("A", "10", "P1"), ("A", "12", "P1"), ("A", "11", "P2")]
    keys += [("B", "10", "P1"), ("B", "11", "P2")]
    seen = np.array([3.0, 1.0, 2.0, 8.0, 4.0])
    units = np.repeat(seen[:, None], 28, axis=1)
    rates = censored_rates(panel(keys, units), 27)
    assert np.allclose(rates, [3.0, 1.0, 2.0, 8.0, 4.0])
