"""The substitute-probability estimator: exact on a hand-made series, the prior without stock-outs,
and on the evaluation market it recovers the market's configured probability (an independent
truth: the stream is drawn with it, the estimator only sees daily counters and stock-outs)."""

from __future__ import annotations

import numpy as np
import pytest

from models.planogram.substitution import PRIOR_Q, estimate_substitution
from simulator.evaluation.estimate import substitution
from simulator.evaluation.market import run_period
from simulator.evaluation.policies import current
from simulator.evaluation.world import Regime, make_world


def _series(q: float, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups of level a·w losing (1 − q) of a stock-out's lost demand L (hand-made rule)."""
    rng = np.random.default_rng(seed)
    groups, days = 30, 56
    level = np.tile([1.1, 1.15, 1.15, 1.13, 1.03, 0.77, 0.64], days // 7)[None, :].repeat(groups, 0)
    a = rng.uniform(5, 40, (groups, 1))
    lost = np.where(rng.random((groups, days)) < 0.2, rng.uniform(0.5, 6, (groups, days)), 0.0)
    units = a * level - (1 - q) * lost + rng.normal(0, noise, (groups, days))
    return units, lost, level


@pytest.mark.parametrize("q", [0.15, 0.5, 0.9])
def test_exact_without_noise(q: float) -> None:
    units, lost, level = _series(q, noise=0.0)
    est = estimate_substitution(units, lost, level)
    assert est.data_q == pytest.approx(q, abs=1e-9)
    assert est.q == pytest.approx(q, abs=1e-6)  # a near-zero standard error outweighs the prior


def test_noise_shrinks_toward_the_prior() -> None:
    units, lost, level = _series(0.1, noise=3.0, seed=4)
    est = estimate_substitution(units, lost, level)
    assert abs(est.data_q - 0.1) < 3 * est.data_se
    assert 0 < est.prior_weight < 1
    # the posterior lies between the data's estimate and the prior, by precision weights
    w = est.prior_weight
    assert est.q == pytest.approx(w * PRIOR_Q + (1 - w) * est.data_q)


def test_no_stockouts_gives_the_prior() -> None:
    units, _, level = _series(0.3, noise=1.0)
    est = estimate_substitution(units, np.zeros_like(units), level)
    assert est.q == PRIOR_Q and est.prior_weight == 1.0 and est.groups == 0


def test_days_with_two_products_out_are_left_out() -> None:
    units, lost, level = _series(0.7, noise=0.0)
    spoiled = units.copy()
    spoiled[:, 5] -= 0.5 * lost[:, 5] + 3.0  # a second product out: the category keeps less
    out = np.where(lost > 0, 1, 0)
    out[:, 5] = 2
    assert estimate_substitution(spoiled, lost, level, out).data_q == pytest.approx(0.7)
    assert estimate_substitution(spoiled, lost, level).data_q != pytest.approx(0.7)


def test_shapes_must_agree() -> None:
    with pytest.raises(ValueError, match="one shape"):
        estimate_substitution(np.zeros((2, 3)), np.zeros((2, 4)), np.ones((2, 3)))


@pytest.fixture(scope="module")
def market_estimates() -> dict[float, object]:
    out = {}
    for q in (0.8, 0.2):
        world = make_world(20, 56, 100, Regime("estimate", 1.0, q))
        out[q] = substitution(world, run_period(world, current(world), 0, 56))
    return out


def test_market_probability_is_recovered(market_estimates) -> None:
    for q, est in market_estimates.items():
        assert est.groups >= 20
        assert abs(est.data_q - q) < 2.5 * est.data_se, (q, est)
    # strong and weak substitution are told apart, and moved away from the prior correctly
    assert market_estimates[0.8].q > PRIOR_Q > market_estimates[0.2].q
