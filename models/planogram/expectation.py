"""Expected sales of a stocked product over service intervals (Poisson demand, finite stock).

Between two visits a product holds ``S`` units (the sum of its facings' par levels: the driver
fills every slot to par). Customers arrive as a Poisson process with ``lam`` per day, so over an
interval of ``T`` days demand is ``N ~ Poisson(lam·T)`` and sales are ``min(N, S)``. The closed
form used here (``E[N·1{N≤m}] = mu·P(N≤m−1)`` for a Poisson ``N``):

    E[min(N, S)] = mu·P(N ≤ S−2) + S·P(N ≥ S)

Customers who find the product gone arrive at the same rate while it is gone, so the expected
sold-out time of an interval is ``(mu − E[min(N, S)]) / lam`` days.
"""

from __future__ import annotations

import numpy as np
from scipy.special import pdtr

DAYS_PER_WEEK = 7.0


def expected_sales(mu: np.ndarray | float, stock: np.ndarray | float) -> np.ndarray:
    """``E[min(N, stock)]`` for ``N ~ Poisson(mu)``, element-wise (broadcasts)."""
    mu, stock = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(stock, dtype=float))
    below = np.where(stock >= 2, pdtr(np.maximum(stock - 2, 0), mu), 0.0)  # P(N <= S-2)
    at_least = np.where(stock >= 1, 1.0 - pdtr(np.maximum(stock - 1, 0), mu), 1.0)  # P(N >= S)
    return np.where(stock <= 0, 0.0, mu * below + stock * at_least)


def weekly_sales(
    lam: np.ndarray | float, stock: np.ndarray | float, intervals: tuple[float, ...]
) -> np.ndarray:
    """Expected units sold per week when the visits cut the week into ``intervals`` (days each,
    e.g. ``(2, 2, 3)`` for Mon/Wed/Fri) and every visit refills to ``stock``."""
    lam = np.asarray(lam, dtype=float)
    total = np.zeros(np.broadcast_shapes(lam.shape, np.shape(stock)))
    for days in intervals:
        total = total + expected_sales(lam * days, stock)
    return total * (DAYS_PER_WEEK / sum(intervals))


def soldout_days(lam: float, stock: float, interval: float) -> float:
    """Expected days of an ``interval`` the product is sold out before the next visit."""
    if lam <= 0:
        return 0.0
    return float((lam * interval - expected_sales(lam * interval, stock)) / lam)


def service_intervals(service_days: str) -> tuple[float, ...]:
    """Days between consecutive visits over a week from an MTWTFSS mask ("1010100" → 2, 2, 3).

    A mask with no visit day is treated as one visit a week (the simulator's minimum)."""
    days = [i for i, c in enumerate(service_days.strip()[:7]) if c == "1"]
    if not days:
        return (7.0,)
    gaps = [days[i + 1] - days[i] for i in range(len(days) - 1)]
    gaps.append(days[0] + 7 - days[-1])
    return tuple(float(g) for g in gaps)
