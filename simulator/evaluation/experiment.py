"""One benchmark run: warm up under the current planograms, let each policy recommend, serve
the evaluation weeks with the same customers, and summarise across seeds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from models.planogram.expectation import expected_sales, service_intervals
from models.planogram.types import ChangeCost
from simulator.evaluation.estimate import estimate, truth
from simulator.evaluation.forecast import forecast_knowledge
from simulator.evaluation.market import PeriodResult, Plan, pair_par, run_period
from simulator.evaluation.policies import current, optimised, proportional
from simulator.evaluation.world import Regime, World, make_world

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
    change_cost: float = 0.0  # currency units: labour of the swaps and written-off stock
    swaps: int = 0  # slots whose product changed
    max_swaps_per_cabinet: int = 0

    @property
    def net_revenue(self) -> float:
        """Revenue of the period minus what getting to the plan cost."""
        return self.revenue - self.change_cost


@dataclass(frozen=True)
class Changeover:
    """What moving from the current planogram to a plan costs (same rule for every policy)."""

    cost: float  # currency units
    swaps: int
    max_per_cabinet: int


def changeover(world: World, plan: Plan, d0: int, d1: int, change: ChangeCost) -> Changeover:
    """Labour per swapped slot plus, for a perishable product taken out, the slot's expected
    leftover at the visit under the true rates of ``[d0, d1)`` (its share of the pair's stock),
    valued at cost: the optimiser's rule (``planogram.changeover``) with the truth's rates."""
    base = current(world)
    fleet, cat = world.fleet, world.catalog
    par = pair_par(world, base)
    rate = world.rate[d0:d1].mean(axis=0)
    pair_of = world.pair_index()
    changed = np.flatnonzero(plan.product != base.product)
    cost = change.labour_cents * len(changed)
    for s in changed:
        p = int(base.product[s])
        if p < 0 or cat.category[p] not in change.writeoff_categories:
            continue
        m = int(fleet.slot_machine[s])
        pair = pair_of[(m, p)]
        device = next(d for d in fleet.devices if d.index == m)
        interval = float(np.mean(service_intervals(device.service_days)))
        left = float(par[pair] - expected_sales(rate[pair] * interval, float(par[pair])))
        cost += left * int(base.par[s]) / max(int(par[pair]), 1) * int(cat.cost_cents[p])
    cabinets = Counter((int(fleet.slot_machine[s]), int(fleet.slot_cabinet[s])) for s in changed)
    return Changeover(cost / CENTS, len(changed), max(cabinets.values(), default=0))


def run_seed(
    regime: Regime,
    seed: int,
    machines: int,
    warmup_days: int,
    eval_days: int,
    *,
    change: ChangeCost | None = None,
) -> dict[str, PolicyRun]:
    """All policies (and the diagnostics ``TRIED_ORACLE``, ``SALES_ESTIMATE``) on one seed's
    world (common random numbers); ours plans with the demand forecast (``evaluation.forecast``).
    The optimised policies pay for their swaps and are capped as ``change`` says (default: the
    product's defaults with the evaluation period as the horizon)."""
    change = change or ChangeCost(horizon_weeks=eval_days / 7.0)
    world = make_world(machines, warmup_days + eval_days, seed, regime)
    warm = run_period(world, current(world), 0, warmup_days)
    oracle = truth(world, warmup_days, warmup_days + eval_days)
    tried = np.isin(world.pair_product, world.pair_product[pair_par(world, current(world)) > 0])
    fc = forecast_knowledge(world, warm)
    plans = {
        "current": current(world),
        "proportional": proportional(world, warm.sold),
        "ours": optimised(world, fc.knowledge, change),
        "oracle": optimised(world, oracle, change),
        TRIED_ORACLE: optimised(
            world, replace(oracle, rate=np.where(tried, oracle.rate, 0.0)), change
        ),
        SALES_ESTIMATE: optimised(world, estimate(world, warm), change),
    }
    out = {}
    for name, plan in plans.items():
        r = run_period(world, plan, warmup_days, warmup_days + eval_days)
        paid = changeover(world, plan, warmup_days, warmup_days + eval_days, change)
        out[name] = replace(
            _summary(name, r),
            change_cost=paid.cost,
            swaps=paid.swaps,
            max_swaps_per_cabinet=paid.max_per_cabinet,
        )
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
