"""The published forecast on the independent simulated fleet (``simulator/evaluation``: customers
who want a product, substitute or walk away when it is sold out), against the simulator's true
expected demand: at 6 weeks of history (too short for a backtest) and at 12, it must be at least
15% better than the 28-day mean shaped by weekday, the forecast an operator makes by hand."""

from __future__ import annotations

import numpy as np
import pytest

from models.forecast.backtest import HORIZON
from models.forecast.baselines import simple_forecast
from simulator.evaluation.forecast import forecast_knowledge, market_panel
from simulator.evaluation.market import run_period
from simulator.evaluation.policies import current
from simulator.evaluation.world import Regime, make_world

MACHINES, SEED = 12, 5


@pytest.mark.parametrize("weeks", [6, 12])
def test_the_published_forecast_beats_the_28_day_weekday_mean(weeks: int) -> None:
    days = 7 * weeks
    world = make_world(MACHINES, days + HORIZON, SEED, Regime("default demand"))
    warm = run_period(world, current(world), 0, days)
    published = forecast_knowledge(world, warm)
    panel, stocked = market_panel(world, warm)
    true = world.rate[days : days + HORIZON, stocked].T
    mean28 = simple_forecast("ma_28_weekday", panel, panel.days - 1, HORIZON)

    def wape(forecast: np.ndarray) -> float:
        return float(np.abs(forecast - true).sum() / true.sum())

    assert published.method != "seasonal_naive"
    assert wape(published.expected) <= 0.85 * wape(mean28)
    # the market sells out: some pair-days are censored (the warm-up lost customers)
    assert warm.lost[stocked].sum() > 0 and published.censored_share > 0
