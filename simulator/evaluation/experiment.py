"""One benchmark run: warm up under the current planograms, let each policy recommend, serve
the evaluation weeks with the same customers, and summarise across seeds."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from simulator.evaluation.estimate import estimate, truth
from simulator.evaluation.forecast import forecast_knowledge
from simulator.evaluation.market import PeriodResult, pair_par, run_period
from simulator.evaluation.policies import current, optimised, proportional
from simulator.evaluation.world import Regime, make_world

POLICIES = ("current", "proportional", "ours", "oracle")
# Not a policy: the oracle told nothing about products no machine stocked in the warm-up (their
# rates 0), to show how much of the gap (a)→(d) products new to the fleet make.
TRIED_ORACLE = "oracle_tried"
# Nor this: policy (c) with the context's fallback when there is no forecast (sales estimate).
SALES_ESTIMATE = "ours_sales_estimate"
CENTS = 100.0


@dataclass(frozen=True)
class PolicyRun:
    """One policy's evaluation period under one seed."""

    policy: str
    revenue: float  # currency units
    units: int
    lost: int
    demand: int
    units_per_visit: float
    note: str = ""  # for ours: the forecast method it planned with


def run_seed(
    regime: Regime, seed: int, machines: int, warmup_days: int, eval_days: int
) -> dict[str, PolicyRun]:
    """All policies (and the diagnostics ``TRIED_ORACLE``, ``SALES_ESTIMATE``) on one seed's
    world (common random numbers); ours plans with the demand forecast (``evaluation.forecast``)."""
    world = make_world(machines, warmup_days + eval_days, seed, regime)
    warm = run_period(world, current(world), 0, warmup_days)
    oracle = truth(world, warmup_days, warmup_days + eval_days)
    tried = np.isin(world.pair_product, world.pair_product[pair_par(world, current(world)) > 0])
    fc = forecast_knowledge(world, warm)
    plans = {
        "current": current(world),
        "proportional": proportional(world, warm.sold),
        "ours": optimised(world, fc.knowledge),
        "oracle": optimised(world, oracle),
        TRIED_ORACLE: optimised(world, replace(oracle, rate=np.where(tried, oracle.rate, 0.0))),
        SALES_ESTIMATE: optimised(world, estimate(world, warm)),
    }
    out = {}
    for name, plan in plans.items():
        r = run_period(world, plan, warmup_days, warmup_days + eval_days)
        out[name] = _summary(name, r)
    out["ours"] = replace(out["ours"], note=fc.method)
    return out


def _summary(name: str, r: PeriodResult) -> PolicyRun:
    return PolicyRun(
        policy=name,
        revenue=r.revenue_cents / CENTS,
        units=int(r.sold.sum()),
        lost=int(r.lost.sum()),
        demand=int(r.demand.sum()),
        units_per_visit=r.loaded_units / max(r.visits, 1),
    )


@dataclass(frozen=True)
class Interval:
    """Mean and 95% t-interval across seeds."""

    mean: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.mean:,.3g} [{self.low:,.3g}, {self.high:,.3g}]"


def t_interval(values: list[float] | np.ndarray) -> Interval:
    """Mean with a 95% Student-t confidence interval (degenerate with one value)."""
    x = np.asarray(values, dtype=float)
    m = float(x.mean())
    if len(x) < 2:
        return Interval(m, m, m)
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return Interval(m, m - half, m + half)
