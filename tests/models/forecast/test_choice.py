"""Which forecast is published: a model only if it beats the strongest baseline, and with too
little history for a backtest the strongest baseline on the holdout there is, never
seasonal-naive by default. Expected values worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from models.forecast.backtest import BacktestResult
from models.forecast.panel import Panel
from models.forecast.pipeline import FALLBACK, choose, fallback_method
from models.registry import decide_for

START = date(2024, 1, 1)


def result(wapes: dict[str, float]) -> BacktestResult:
    """A backtest's pooled scores with these WAPEs (the other scores do not matter here)."""
    return BacktestResult(
        rows=[], overall={m: {"wape": w} for m, w in wapes.items()}, dispersion={}, cutoffs=[]
    )


def test_a_model_must_beat_the_strongest_baseline() -> None:
    beaten = {"seasonal_naive": 0.80, "ma_28_weekday": 0.44, "pooled_rate": 0.40, "tsb": 0.55}
    assert choose(result(beaten)) == "pooled_rate"
    # a tie goes to the baseline; a strictly better candidate wins
    assert choose(result({**beaten, "gbm": 0.40})) == "pooled_rate"
    assert choose(result({**beaten, "gbm": 0.39})) == "gbm"


def test_a_baseline_chosen_as_the_model_is_promoted_over_the_other_baselines() -> None:
    scores = {"naive": {"wape": 0.9}, "seasonal_naive": {"wape": 0.8}}
    scores |= {"ma_28": {"wape": 0.5}, "pooled_rate": {"wape": 0.4}}
    assert decide_for({"method": "pooled_rate", "scores": scores}, None).promote
    refused = decide_for({"method": "ma_28", "scores": scores}, None)
    assert not refused.promote and "pooled_rate" in refused.reason


def censored_panel(days: int) -> Panel:
    """Two machines × two products with demand exactly traffic × appeal (A: 2 and 1 a day, B: 4
    and 2), every slot sold out 12 hours a day (half its demand seen) for the first two thirds
    of the days, in stock all day after."""
    rates = np.array([2.0, 1.0, 4.0, 2.0])
    censored_days = days - days // 3
    hours = np.zeros((4, days))
    hours[:, :censored_days] = 12.0
    units = np.repeat(rates[:, None], days, axis=1) * (1.0 - hours / 24.0)
    series = pl.DataFrame(
        {
            "machine_serial": ["A", "A", "B", "B"],
            "selection": ["10", "11", "10", "11"],
            "product_id": ["P1", "P2", "P1", "P2"],
            "first_col": [0] * 4,
            "last_col": [days - 1] * 4,
        }
    ).with_row_index("row")
    return Panel(series, START, units, hours, "hand")


def test_short_history_falls_back_to_the_baseline_that_sees_censoring() -> None:
    # 21 days: too short for a backtest (42). The holdout is the last 7 days, in stock; every
    # day before sold half its demand. Moving averages, naive and seasonal-naive all forecast
    # half the demand (WAPE 0.5); units per in-stock hour forecast it exactly (WAPE 0)
    method, _ = fallback_method(censored_panel(21))
    assert method == "pooled_rate"


def test_without_a_holdout_the_fallback_is_the_censoring_aware_rate() -> None:
    assert fallback_method(censored_panel(2)) == (FALLBACK, 0.0)
    assert FALLBACK != "seasonal_naive"
