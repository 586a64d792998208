"""Recommendations from DEX alone against those from master data, on the same simulated market.

For each regime and seed (the worlds of bench/recommend.py: 8 weeks of warm-up under the current
planograms, then 4 weeks served with the same customers): (a) current planograms; master path,
policy (c) of bench/recommend.py (the demand forecast, cabinets, service days and location
traffic of the master data); DEX-only path (every machine known only from DEX: the observed
planogram of simulator/evaluation/dex_only.py, the forecast without traffic, service days
observed from its visits); the same restricted to products some machine of the fleet stocked
(what DEX alone can name); the same with no visit observed (one a week planned for: what the
planners assume then); (d) the oracle. Prints the share of the gap (a)→(d) each path closes,
the DEX-only gain as a share of the master path's gain (per seed and pooled), and the slots a
path puts a product in a cabinet that cannot hold its category (must be 0).

    uv run python bench/recommend_dex_only.py [--seeds 4] [--machines 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulator.evaluation.dex_only import crossings, optimised_observed
from simulator.evaluation.estimate import truth
from simulator.evaluation.experiment import t_interval
from simulator.evaluation.forecast import forecast_knowledge
from simulator.evaluation.market import pair_par, run_period
from simulator.evaluation.policies import current, optimised
from simulator.evaluation.world import Regime, make_world

REGIMES = (
    Regime("rare stock-outs, strong substitution", 1.0, 0.8),
    Regime("rare stock-outs, weak substitution", 1.0, 0.2),
    Regime("frequent stock-outs, strong substitution", 2.5, 0.8),
    Regime("frequent stock-outs, weak substitution", 2.5, 0.2),
)
PATHS = ("current", "master", "dex_only", "dex_only_seen", "dex_only_no_visits", "oracle")
DEX_PATHS = ("dex_only", "dex_only_seen", "dex_only_no_visits")
CENTS = 100.0


def run_seed(
    regime: Regime, seed: int, machines: int, warmup_days: int, eval_days: int
) -> tuple[dict[str, float], dict[str, int]]:
    """Revenue (currency units) of every path on one seed's world, and cabinet crossings."""
    world = make_world(machines, warmup_days + eval_days, seed, regime)
    warm = run_period(world, current(world), 0, warmup_days)
    ids = world.catalog.product_id
    stocked = world.pair_product[pair_par(world, current(world)) > 0]
    seen = frozenset(ids[int(p)] for p in stocked)
    dex_forecast = forecast_knowledge(world, warm, traffic_known=False).knowledge
    plans = {
        "current": current(world),
        "master": optimised(world, forecast_knowledge(world, warm).knowledge),
        "dex_only": optimised_observed(world, dex_forecast),
        "dex_only_seen": optimised_observed(world, dex_forecast, seen),
        "dex_only_no_visits": optimised_observed(world, dex_forecast, visits_seen=False),
        "oracle": optimised(world, truth(world, warmup_days, warmup_days + eval_days)),
    }
    revenue = {
        name: run_period(world, plan, warmup_days, warmup_days + eval_days).revenue_cents / CENTS
        for name, plan in plans.items()
    }
    return revenue, {name: crossings(world, plan) for name, plan in plans.items()}


def _interval(values: np.ndarray) -> str:
    return str(t_interval(values))


def main(argv: list[str] | None = None) -> int:
    """Run every regime and print the figures (no target: a measurement)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--machines", type=int, default=20)
    ap.add_argument("--warmup-days", type=int, default=56)
    ap.add_argument("--eval-days", type=int, default=28)
    args = ap.parse_args(argv)
    began = time.perf_counter()
    for regime in REGIMES:
        runs = [
            run_seed(regime, 100 + s, args.machines, args.warmup_days, args.eval_days)
            for s in range(args.seeds)
        ]
        rev = {p: np.array([r[0][p] for r in runs]) for p in PATHS}
        gap = rev["oracle"] - rev["current"]
        print(
            f"\n== {regime.name} (demand ×{regime.demand_scale}, "
            f"substitute p={regime.substitute_probability}; "
            f"{args.seeds} seeds × {args.machines} machines, {args.eval_days} days)"
        )
        print(f"{'path':<15}{'revenue':>34}{'gap (a)→(d) closed':>34}{'cabinet crossings':>20}")
        for p in PATHS:
            closed = _interval((rev[p] - rev["current"]) / gap)
            cross = sum(r[1][p] for r in runs)
            print(f"{p:<15}{_interval(rev[p]):>34}{closed:>34}{cross:>20}")
        gain = {p: rev[p] - rev["current"] for p in ("master", *DEX_PATHS)}
        for p in DEX_PATHS:
            print(
                f"{p} gain / master gain: per seed {_interval(gain[p] / gain['master'])}, "
                f"pooled {gain[p].sum() / gain['master'].sum():.1%}"
            )
    print(f"\n{time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
