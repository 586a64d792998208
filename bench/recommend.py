"""Planogram policies on the simulator's market: does our optimiser close the gap to an oracle?

For each regime and seed: 8 weeks of warm-up under the current planograms, then each policy
recommends and the next 4 weeks are served with the same customers (common random numbers):
(a) current, (b) capacity proportional to observed sales, (c) ours (the pipeline's demand
forecast trained on the censored warm-up, then the warehouse context's rules and the optimiser;
also reported: with the context's sales-estimate fallback instead), (d) oracle (the same
optimiser with the true rates, shares and substitute probability). Prints per regime mean and
95% t-intervals across seeds, the sanity checks, and the share of the gap an oracle reaches
that knows nothing of products no machine stocked.

Changes cost (``ChangeCost``: minutes per swap at a labour rate, perishable stock taken out
written off): the optimised policies (c) and (d) pay for their swaps, choose only swaps whose
gain over the evaluation period beats their cost and carry at most ``--max-swaps`` per cabinet
and ``--max-trials`` products new to the machine. Every policy's revenue is reported gross and
net of its changeover cost (the same rule for all, rates of the truth), with its swaps; the
target is the gap (a)→(d) closed net of cost, with no cabinet over the cap.

    uv run python bench/recommend.py [--seeds 8] [--machines 20] [--max-swaps 4]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from models.planogram.types import ChangeCost
from simulator.evaluation.experiment import (
    POLICIES,
    SALES_ESTIMATE,
    TRIED_ORACLE,
    run_seed,
    t_interval,
)
from simulator.evaluation.world import Regime

REGIMES = (
    Regime("rare stock-outs, strong substitution", 1.0, 0.8),
    Regime("rare stock-outs, weak substitution", 1.0, 0.2),
    Regime("frequent stock-outs, strong substitution", 2.5, 0.8),
    Regime("frequent stock-outs, weak substitution", 2.5, 0.2),
)
TARGET_GAP_CLOSED = 0.70


def main(argv: list[str] | None = None) -> int:
    """Run every regime; exit 1 if a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--machines", type=int, default=20)
    ap.add_argument("--warmup-days", type=int, default=56)
    ap.add_argument("--eval-days", type=int, default=28)
    defaults = ChangeCost()
    ap.add_argument("--minutes-per-swap", type=float, default=defaults.minutes_per_swap)
    ap.add_argument("--labour-per-hour", type=float, default=defaults.labour_per_hour)
    ap.add_argument("--max-swaps", type=int, default=defaults.max_swaps)
    ap.add_argument("--max-trials", type=int, default=defaults.max_trials)
    ap.add_argument("--regimes", type=int, nargs="*", help="regime numbers (0-3) to run")
    args = ap.parse_args(argv)
    change = ChangeCost(
        minutes_per_swap=args.minutes_per_swap,
        labour_per_hour=args.labour_per_hour,
        horizon_weeks=args.eval_days / 7.0,  # what the benchmark measures
        max_swaps=args.max_swaps,
        max_trials=args.max_trials,
    )
    print(
        f"changeover: {change.minutes_per_swap:g} min per swap at {change.labour_per_hour:g}/h, "
        f"fresh stock taken out written off, horizon {change.horizon_weeks:g} weeks, "
        f"at most {change.max_swaps} swaps and {change.max_trials} trial(s) per cabinet"
    )
    began = time.perf_counter()
    ok = True
    chosen = [REGIMES[i] for i in args.regimes] if args.regimes else list(REGIMES)
    for regime in chosen:
        runs = [
            run_seed(
                regime, 100 + seed, args.machines, args.warmup_days, args.eval_days, change=change
            )
            for seed in range(args.seeds)
        ]
        gross = {p: np.array([r[p].revenue for r in runs]) for p in POLICIES}
        rev = {p: np.array([r[p].net_revenue for r in runs]) for p in POLICIES}
        gap = rev["oracle"] - rev["current"]
        closed = (rev["ours"] - rev["current"]) / gap
        closed_b = (rev["proportional"] - rev["current"]) / gap
        print(
            f"\n== {regime.name} (demand ×{regime.demand_scale}, "
            f"substitute p={regime.substitute_probability}; "
            f"{args.seeds} seeds × {args.machines} machines, {args.eval_days} days)"
        )
        print(
            f"{'policy':<13}{'revenue':>32}{'net of changeover':>32}{'share of oracle':>30}"
            f"{'gap (a)→(d) closed':>30}{'lost sales':>30}{'units/visit':>28}"
        )
        for p in POLICIES:
            share = t_interval(rev[p] / rev["oracle"])
            shut = t_interval((rev[p] - rev["current"]) / gap)
            lost = t_interval([r[p].lost for r in runs])
            upv = t_interval([r[p].units_per_visit for r in runs])
            print(
                f"{p:<13}{t_interval(gross[p])!s:>32}{t_interval(rev[p])!s:>32}{share!s:>30}"
                f"{shut!s:>30}{lost!s:>30}{upv!s:>28}"
            )
        for p in ("proportional", "ours", "oracle"):
            cost = t_interval([r[p].change_cost for r in runs])
            net = t_interval(rev[p] - rev["current"])
            swaps = t_interval([r[p].swaps for r in runs])
            most = max(r[p].max_swaps_per_cabinet for r in runs)
            print(
                f"{p}: net gain after changeover {net} per period; changeover cost {cost}; "
                f"swaps {swaps}; most swaps in one cabinet {most}"
            )
        over = max(r["ours"].max_swaps_per_cabinet for r in runs) > change.max_swaps
        diff_b = t_interval(rev["ours"] - rev["proportional"])
        beats_oracle = t_interval(rev["ours"] - rev["oracle"])
        pooled = float((rev["ours"] - rev["current"]).sum() / gap.sum())
        print(
            f"ours − proportional: {diff_b} per period; "
            f"seeds where ours > (b): {(rev['ours'] > rev['proportional']).sum()}/{args.seeds}"
        )
        print(
            f"gap closed, pooled over seeds: {pooled:.1%}; "
            f"(b) closes {float(np.mean(closed_b)):.1%}"
        )
        sales = np.array([r[SALES_ESTIMATE].net_revenue for r in runs])
        methods = ", ".join(f"{m} ×{n}" for m, n in Counter(r["ours"].note for r in runs).items())
        print(
            f"ours planned with the forecast ({methods}); "
            f"with the sales estimate instead (no forecast): gap closed "
            f"{t_interval((sales - rev['current']) / gap)}"
        )
        tried = np.array([r[TRIED_ORACLE].net_revenue for r in runs])
        print(
            "gap closed by the oracle told nothing about products no machine stocked: "
            f"{t_interval((tried - rev['current']) / gap)} (the rest of the gap is new products)"
        )
        print(
            f"sanity: ours − oracle {beats_oracle}; seeds where ours > oracle: "
            f"{(rev['ours'] > rev['oracle']).sum()}/{args.seeds}; "
            f"(b) > oracle: {(rev['proportional'] > rev['oracle']).sum()}/{args.seeds}"
        )
        met = float(np.mean(closed)) >= TARGET_GAP_CLOSED and diff_b.mean > 0 and not over
        ok &= met
        print(
            f"targets (≥{TARGET_GAP_CLOSED:.0%} of the gap net of changeover cost, beat (b), "
            f"at most {change.max_swaps} swaps per cabinet): {'met' if met else 'MISSED'}"
        )
    print(f"\n{time.perf_counter() - began:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
