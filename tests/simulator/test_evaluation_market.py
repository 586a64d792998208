"""The evaluation market: every customer of its own drawn stream is accounted for, the stream is
the same for every policy, and the apportioning rule of policy (b) on a hand case."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.evaluation.estimate import estimate, truth
from simulator.evaluation.forecast import forecast_knowledge, market_panel
from simulator.evaluation.market import pair_par, run_period
from simulator.evaluation.policies import apportion, current, optimised, proportional
from simulator.evaluation.world import Regime, make_world


@pytest.fixture(scope="module")
def world():
    return make_world(machines=3, days=21, seed=11, regime=Regime("tight", 3.0, 0.6))


def test_every_customer_is_accounted_for(world) -> None:
    r = run_period(world, current(world), 7, 21)
    stream = (world.flex[7:21] + world.loyal[7:21]).sum(axis=(0, 1))
    assert np.array_equal(r.demand, stream)
    assert np.array_equal(r.demand, r.sold_own + r.sub_out + r.lost)
    assert r.sub_in.sum() == r.sub_out.sum()
    assert r.lost.sum() > 0 and r.sub_out.sum() > 0  # the regime does sell out
    price = world.catalog.price_cents[world.pair_product]
    assert r.revenue_cents == pytest.approx(float(((r.sold_own + r.sub_in) * price).sum()))
    # sales never exceed what was there: the start at par plus every unit loaded at visits
    assert r.sold.sum() <= pair_par(world, current(world)).sum() + r.loaded_units


def test_same_customers_for_every_policy(world) -> None:
    warm = run_period(world, current(world), 0, 14)
    plans = [
        current(world),
        proportional(world, warm.sold),
        optimised(world, estimate(world, warm)),
    ]
    plans.append(optimised(world, truth(world, 14, 21)))
    results = [run_period(world, p, 14, 21) for p in plans]
    for r in results:
        assert np.array_equal(r.demand, results[0].demand)
    again = run_period(world, plans[2], 14, 21)
    assert again.revenue_cents == results[2].revenue_cents


def test_apportion_hand_case() -> None:
    # targets 7.5 and 2.5: floors 7 and 2, the spare slot to the first largest remainder
    assert apportion(10, np.array([3.0, 1.0, 0.0])).tolist() == [8, 2, 0]
    # more selling products than slots: the best ones keep one facing each
    assert apportion(2, np.array([1.0, 5.0, 3.0])).tolist() == [0, 1, 1]


def test_forecast_policy_sees_the_warm_up_counters() -> None:
    # policy (c) plans with the pipeline's forecast: its panel is the warm-up's counters per
    # stocked pair, sold-out hours only where the pair lost in-stock time, and it needs a
    # backtest's worth of days (28 + 14)
    world = make_world(machines=3, days=49, seed=5, regime=Regime("tight", 3.0, 0.6))
    warm = run_period(world, current(world), 0, 42)
    panel, stocked = market_panel(world, warm)
    assert np.array_equal(panel.units.sum(axis=1), warm.sold[stocked])
    level = world.hour_weight[:42].sum(axis=1)
    full = np.isclose(warm.daily_instock[:, stocked].T, level[None, :])
    assert (panel.soldout_hours[full] < 1e-6).all()
    assert (panel.soldout_hours[~full] > 0).all() and (panel.soldout_hours <= 24).all()
    assert panel.censored.any()  # the regime sells out
    fc = forecast_knowledge(world, warm)
    assert np.isfinite(fc.knowledge.rate).all() and (fc.knowledge.rate >= 0).all()
    assert fc.knowledge.rate[stocked].sum() > 0
