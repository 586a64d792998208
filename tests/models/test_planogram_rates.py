"""Empirical-Bayes pooling of machine × product rates (``candidates.pooled_rates``) on grids
drawn from a known Gamma-Poisson model: the relative variance it finds and the error of its
rates are compared with the generating values."""

from __future__ import annotations

import numpy as np
import pytest

from models.planogram.candidates import MIN_RELATIVE_VARIANCE, pooled_rates

DAYS = 28.0


def _draw(tau2: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True rates traffic × appeal × θ (θ ~ Gamma(mean 1, variance tau2)) on 60 machines ×
    40 products, and Poisson units over DAYS in-stock days; a quarter of the cells not stocked."""
    rng = np.random.default_rng(seed)
    traffic = rng.lognormal(0.0, 0.5, 60)
    appeal = rng.lognormal(-0.5, 0.7, 40)
    theta = rng.gamma(1.0 / tau2, tau2, (60, 40)) if tau2 > 0 else np.ones((60, 40))
    rate = traffic[:, None] * appeal[None, :] * theta
    exposure = np.where(rng.random((60, 40)) < 0.75, DAYS, np.nan)
    units = np.where(np.isnan(exposure), np.nan, rng.poisson(rate * DAYS))
    return rate, units, exposure


@pytest.mark.parametrize("tau2", [0.1, 0.3])
def test_relative_variance_is_recovered(tau2: float) -> None:
    _, units, exposure = _draw(tau2, seed=3)
    _, found = pooled_rates(units, exposure)
    assert found == pytest.approx(tau2, rel=0.35)


def test_without_interaction_the_floor_holds() -> None:
    _, units, exposure = _draw(0.0, seed=4)
    assert pooled_rates(units, exposure)[1] == MIN_RELATIVE_VARIANCE


# without interaction the model's rate is all there is to know: pooling removes most of the
# Poisson noise; with it, less, but never more error than the raw rates
@pytest.mark.parametrize(("tau2", "at_most"), [(0.0, 0.5), (0.1, 1.0), (0.3, 1.0)])
def test_pooled_rates_are_closer_to_the_truth_than_raw(tau2: float, at_most: float) -> None:
    rate, units, exposure = _draw(tau2, seed=5)
    pooled, _ = pooled_rates(units, exposure)
    seen = ~np.isnan(exposure)
    raw_err = np.abs(units[seen] / DAYS - rate[seen]).sum()
    pooled_err = np.abs(pooled[seen] - rate[seen]).sum()
    assert pooled_err < at_most * raw_err
    assert np.isnan(pooled[~seen]).all()


def test_short_exposure_is_not_observed_and_shapes_must_agree() -> None:
    units = np.array([[3.0, 1.0], [4.0, 2.0]])
    pooled, _ = pooled_rates(units, np.array([[10.0, 1.0], [10.0, 10.0]]))
    assert np.isnan(pooled[0, 1]) and not np.isnan(pooled[1, 1])
    with pytest.raises(ValueError, match="shape"):
        pooled_rates(units, np.ones((2, 3)))
