"""The substitute probability ``q`` estimated from sales and stock-outs, shrunk toward a prior.

DEX counters cannot say who bought a product instead of another, but stock-outs reveal it in
aggregate. Per group (one machine's products of one category) and day, let ``Y`` be the group's
units sold, ``L`` the demand its products lost to their own stock-outs that day (the product's
rate × the share of the day it was sold out) and ``w`` the day's demand level (1, or a weekday
factor). Customers of a sold-out product buy a product of the same category with probability
``q`` (the simulator's and the optimiser's rule), so

    Y[g, d] = a[g] · w[g, d] − (1 − q) · L[g, d] + noise,

i.e. the category loses only the share ``1 − q`` of what a stock-out takes from the product. With
a free level ``a[g]`` per group (Frisch–Waugh: ``Y`` and ``L`` residualised on ``w`` within the
group), ``1 − q`` is the pooled least-squares slope, each group weighted by 1 / its mean daily
units (Poisson counts). Its standard error comes from the residual
variance; the estimate is combined with a normal prior (mean ``PRIOR_Q``, s.d. ``PRIOR_SD``) by
precision weights and clipped to [0, 1]. Little stock-out variation → little information → the
prior.

Only *clean* group-days are used: at most one of the group's products sold out that day. When
two are out together (frequent near the end of a service interval) the one's customers may find
their substitute empty too, and the category then keeps less than ``q`` of the loss — that is a
capacity effect the optimiser models separately, not a lower willingness to substitute. Known
remaining bias: rates estimated from counters include inflow from other (absent) products, so
``L`` is slightly overstated and ``q`` pushed up a little.

Used by the warehouse context (``context``; daily sales + ``fct_stockouts``) and by the
benchmark's policy (``simulator.evaluation.estimate``; the market's daily observations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PRIOR_Q = 0.55  # the simulator's default: an outside guess, not a fit
PRIOR_SD = 0.2  # how far from it we would not be surprised to be


@dataclass(frozen=True)
class SubstitutionEstimate:
    """The posterior ``q`` with the data-only estimate and its standard error."""

    q: float  # posterior mean, clipped to [0, 1]
    data_q: float  # least-squares estimate (NaN without stock-out variation)
    data_se: float  # its standard error (inf without information)
    prior_weight: float  # share of the posterior coming from the prior
    groups: int  # groups with any stock-out variation
    days: int  # group-days used


def estimate_substitution(
    units: np.ndarray,
    lost: np.ndarray,
    level: np.ndarray,
    products_out: np.ndarray | None = None,
    *,
    prior_q: float = PRIOR_Q,
    prior_sd: float = PRIOR_SD,
) -> SubstitutionEstimate:
    """Posterior ``q`` from ``[group, day]`` arrays: units sold by the group, demand lost to its
    own stock-outs, the day's demand level and, optionally, how many of the group's products
    sold out that day (days with more than one are left out; so are NaN cells)."""
    y, x, w = (np.asarray(a, dtype=float) for a in (units, lost, level))
    if not (y.shape == x.shape == w.shape) or y.ndim != 2:
        raise ValueError(
            "units, lost and level must be [group, day] arrays of one shape: "
            f"{y.shape}, {x.shape}, {w.shape}"
        )
    ok = ~(np.isnan(y) | np.isnan(x) | np.isnan(w))
    if products_out is not None:
        ok &= np.asarray(products_out) <= 1
    y, x, w = (np.where(ok, a, 0.0) for a in (y, x, w))
    ww = (w * w).sum(axis=1, keepdims=True)
    safe = np.where(ww > 0, ww, 1.0)
    y_r = np.where(ok, y - w * (w * y).sum(axis=1, keepdims=True) / safe, 0.0)
    x_r = np.where(ok, x - w * (w * x).sum(axis=1, keepdims=True) / safe, 0.0)
    informative = (np.abs(x_r) > 1e-9).any(axis=1) & (ok.sum(axis=1) >= 3)
    # Poisson counts: a group's day-to-day variance grows with its volume, so each group is
    # weighted by 1 / its mean daily units (weighted least squares)
    mean_units = y.sum(axis=1) / np.maximum(ok.sum(axis=1), 1)
    root_w = 1.0 / np.sqrt(np.maximum(mean_units, 1.0))[:, None]
    y_r, x_r = (y_r * root_w)[informative], (x_r * root_w)[informative]
    sxx = float((x_r * x_r).sum())
    n = int(ok[informative].sum())
    k = int(informative.sum()) + 1  # a level per group and the slope
    if sxx <= 0 or n <= k:
        return SubstitutionEstimate(prior_q, float("nan"), float("inf"), 1.0, 0, n)
    slope = -float((x_r * y_r).sum()) / sxx  # = 1 − q
    resid = y_r + slope * x_r
    sigma2 = float((resid * resid).sum()) / (n - k)
    se = float(np.sqrt(sigma2 / sxx)) if sigma2 > 0 else 1e-9
    data_q = 1.0 - slope
    p_data, p_prior = 1.0 / se**2, 1.0 / prior_sd**2
    post = (p_data * data_q + p_prior * prior_q) / (p_data + p_prior)
    return SubstitutionEstimate(
        q=float(np.clip(post, 0.0, 1.0)),
        data_q=data_q,
        data_se=se,
        prior_weight=p_prior / (p_data + p_prior),
        groups=int(informative.sum()),
        days=n,
    )


OUT_TOLERANCE = 1e-6  # sold-out share of a day below which a product counts as in stock


def group_days(
    machine: np.ndarray, category: np.ndarray, units: np.ndarray, lost: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``[item]`` machine and category keys with ``[day, item]`` units sold and lost demand →
    ``[group, day]`` units, lost demand and products sold out, one group per (machine, category)
    with at least two products (a lone product has no substitute to keep its customers)."""
    machine, category = np.asarray(machine), np.asarray(category)
    keys: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(zip(machine.tolist(), category.tolist(), strict=True)):
        keys.setdefault(key, []).append(i)
    cols = [c for _, c in sorted(keys.items()) if len(c) >= 2]
    lost = np.where(lost > OUT_TOLERANCE, lost, 0.0)
    days = units.shape[0]
    out = np.zeros((3, len(cols), days))
    for g, c in enumerate(cols):
        out[0, g] = units[:, c].sum(axis=1)
        out[1, g] = lost[:, c].sum(axis=1)
        out[2, g] = (lost[:, c] > 0).sum(axis=1)
    return out[0], out[1], out[2]
