"""The cost of a change: a swap is recommended only when its gain over the horizon beats labour
and written-off stock; swaps and trials are capped per cabinet; each swap carries its interval.

Expected values are worked here by hand: one facing of a product refilled every day holds
par = round(7 × 0.85) = 6 units (size L), so a product with ``λ`` customers a day sells
``7 · E[min(Poisson(λ), 6)]`` a week, summed directly from the Poisson pmf (``emin``).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from models.planogram.optimise import optimise
from models.planogram.types import (
    CabinetContext,
    CandidateProduct,
    ChangeCost,
    Constraints,
    SlotInfo,
)
from models.planogram.visits import NextVisit, next_service_day
from models.planogram.writer import recommendation_rows, write_recommendations
from orchestration.settings import SettingsError, load_change_cost
from tests.models.test_planogram_optimise import direct_expected_min as emin
from transforms.catalog import on_lake

PAR = 6  # L spiral of 7 at par share 0.85
Z80 = 1.2815515655446004
LABOUR = 5 / 60 * 30 * 100  # 5 minutes at 30 an hour = 250 cents


def weekly_units(lam: float) -> float:
    return 7 * emin(lam, PAR)


def product(
    pid: str, lam: float, price: int = 100, category: str = "Snack", *, carried: bool = True
) -> CandidateProduct:
    return CandidateProduct(
        pid, pid, category, "L", price, price // 2, lam, "forecast", carried=carried
    )


def cabinet(
    held: list[str], products: tuple[CandidateProduct, ...], cost: ChangeCost
) -> CabinetContext:
    slots = tuple(SlotInfo(f"A{i + 1}", f"1{i + 1}", "L", p, 7, PAR) for i, p in enumerate(held))
    return CabinetContext("M1", "A1", 1, slots, products, 1.0, change_cost=cost)


def lam_for_gain(base: float, gain_cents: float, price: int = 100) -> float:
    """The rate whose weekly revenue beats ``base``'s by ``gain_cents`` (bisection on the
    test's own valuation)."""
    target = weekly_units(base) * price + gain_cents
    lo, hi = base, base + 5
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if weekly_units(mid) * price < target else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize(("gain", "swapped"), [(60.0, False), (65.0, True)])
def test_swap_only_when_gain_over_horizon_beats_labour(gain: float, swapped: bool) -> None:
    # labour 250 cents, horizon 4 weeks: a swap must gain more than 62.5 cents a week
    cost = ChangeCost(horizon_weeks=4.0)
    b = product("B", lam_for_gain(1.0, gain))
    ctx = cabinet(["A"], (product("A", 1.0), b), cost)
    (a,) = optimise(ctx).assignments
    assert (a.product_id == "B") is swapped
    if swapped:
        assert a.swap_cost_cents == pytest.approx(LABOUR)
        assert a.weekly_gain_cents == pytest.approx(gain, abs=1e-6)
        # 80% interval: Poisson weekly units of both products, demand known exactly (r = 0)
        sd = 100 * math.sqrt(weekly_units(1.0) + weekly_units(b.daily_demand))
        assert a.gain_low_cents == pytest.approx(gain - Z80 * sd, abs=1e-6)
        assert a.gain_high_cents == pytest.approx(gain + Z80 * sd, abs=1e-6)
        assert not a.trial
    else:
        assert a.swap_cost_cents == 0.0


def test_demand_uncertainty_widens_the_interval() -> None:
    # B's rate known only to a relative variance of 0.25: its weekly units vary by u + 0.25·u²
    cost = ChangeCost(horizon_weeks=4.0)
    lam_b = lam_for_gain(1.0, 300.0)
    b = CandidateProduct("B", "B", "Snack", "L", 100, 50, lam_b, "borrowed", demand_rel_var=0.25)
    (a,) = optimise(cabinet(["A"], (product("A", 1.0), b), cost)).assignments
    u_a, u_b = weekly_units(1.0), weekly_units(lam_b)
    sd = 100 * math.sqrt(u_a + u_b + 0.25 * u_b**2)
    assert a.gain_high_cents - a.gain_low_cents == pytest.approx(2 * Z80 * sd, abs=1e-6)


def delisting_gain(lam_a: float, lam_s: float, lam_b: float, q: float) -> float:
    """Weekly revenue gain (cents, price 100) of B in place of A when S (A's only substitute)
    stays, by the model's rules: before, A's sold-out customers (``λa − E[min]`` a day) try S
    with probability ``q``; after, all of A's customers do; B has no substitute."""
    s_before = emin(lam_s + q * (lam_a - emin(lam_a, PAR)), PAR)
    before = emin(lam_a, PAR) + s_before
    after = emin(lam_b, PAR) + emin(lam_s + q * lam_a, PAR)
    return 7 * 100 * (after - before)


@pytest.mark.parametrize(("mean_gain", "robust_swap"), [(162.5, False), (562.5, True)])
def test_a_delisting_must_pay_across_the_substitute_probability_range(
    mean_gain: float, robust_swap: bool
) -> None:
    # A (2 a day) is the last facing of its kind; its customers' substitute S (1 a day) is kept
    # (core). B in A's place gains `mean_gain` a week at q = 0.55, which beats the 62.5 a week
    # labour needs over 4 weeks; at the low end of q's 80% range (0.55 − 1.2816 × 0.2 ≈ 0.294)
    # fewer of A's customers buy S and the gain is ~300 a week smaller: the first swap pays only
    # if q is known, the second either way
    lam_a, lam_s = 2.0, 1.0
    lo, hi = 0.0, 10.0
    for _ in range(80):  # B's rate giving the wanted gain at the mean q (bisection)
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if delisting_gain(lam_a, lam_s, mid, 0.55) < mean_gain else (lo, mid)
    lam_b = (lo + hi) / 2
    q_low = 0.55 - Z80 * 0.2
    assert (delisting_gain(lam_a, lam_s, lam_b, q_low) > LABOUR / 4) is robust_swap
    a = product("A", lam_a)
    a = CandidateProduct(**{**a.__dict__, "substitutes": {"S": 1.0}})
    cands = (a, product("S", lam_s), product("B", lam_b))
    slots = (SlotInfo("A1", "11", "L", "A", 7, PAR), SlotInfo("A2", "12", "L", "S", 7, PAR))
    for sd, swapped in ((0.0, True), (0.2, robust_swap)):
        ctx = CabinetContext(
            "M1",
            "A1",
            1,
            slots,
            cands,
            1.0,
            constraints=Constraints(core_products=frozenset({"S"})),
            change_cost=ChangeCost(horizon_weeks=4.0),
            substitute_probability_sd=sd,
        )
        first, second = optimise(ctx).assignments
        assert second.product_id == "S"
        assert (first.product_id == "B") is swapped, sd
        if swapped:  # the gain shown is the one at the mean q
            assert first.weekly_gain_cents == pytest.approx(mean_gain, abs=1e-6)
            # 80% interval: Poisson weekly units of A before and B after, plus q's share: the
            # gain's slope between q's ends (0.55 ∓ 1.2816 × sd) times sd
            ends = [delisting_gain(lam_a, lam_s, lam_b, 0.55 + k * Z80 * sd) for k in (-1, 1)]
            sd_q = abs(ends[1] - ends[0]) / (2 * Z80) if sd else 0.0
            sd_units = 100 * math.sqrt(weekly_units(lam_a) + weekly_units(lam_b))
            width = first.gain_high_cents - first.gain_low_cents
            assert width == pytest.approx(2 * Z80 * math.hypot(sd_units, sd_q), abs=1e-6)


def test_a_swap_that_delists_nothing_counts_at_the_mean_substitute_probability() -> None:
    # an empty slot next to S (1 a day); B's customers now buy S with probability q. Filling the
    # slot with B gains B's sales minus what S loses, S losing more the larger q: the gain is
    # 140 a week at q = 0.55 but below the 62.5 the labour needs at the high end (≈ 0.806). No
    # product's customers are given up, so the swap counts at the mean q and is recommended
    lam_s = 1.0

    def gain(lam_b: float, q: float) -> float:
        s_after = emin(lam_s + q * (lam_b - emin(lam_b, PAR)), PAR)
        return 7 * 100 * (emin(lam_b, PAR) + s_after - emin(lam_s + q * lam_b, PAR))

    lo, hi = 0.0, 5.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gain(mid, 0.55) < 140.0 else (lo, mid)
    lam_b = (lo + hi) / 2
    assert gain(lam_b, 0.55 + Z80 * 0.2) < LABOUR / 4
    b = product("B", lam_b)
    b = CandidateProduct(**{**b.__dict__, "substitutes": {"S": 1.0}})
    slots = (SlotInfo("A1", "11", "L", None, 7, 0), SlotInfo("A2", "12", "L", "S", 7, PAR))
    ctx = CabinetContext(
        "M1",
        "A1",
        1,
        slots,
        (product("S", lam_s), b),
        1.0,
        constraints=Constraints(core_products=frozenset({"S"})),
        change_cost=ChangeCost(horizon_weeks=4.0),
        substitute_probability_sd=0.2,
    )
    first, second = optimise(ctx).assignments
    assert (first.product_id, second.product_id) == ("B", "S")
    assert first.weekly_gain_cents == pytest.approx(140.0, abs=1e-6)


@pytest.mark.parametrize(("margin", "swapped"), [(-7.5, False), (7.5, True)])
def test_fresh_stock_taken_out_is_written_off(margin: float, swapped: bool) -> None:
    # A is fresh (cost 100 cents a unit): of the 6 units loaded a day, 6 − E[min(Poisson(1), 6)]
    # (~5) are left at the visit and thrown away, so the swap costs 250 + ~500 cents and must
    # gain more than a quarter of that a week over 4 weeks; B gains just below / just above
    writeoff = 100 * (PAR - emin(1.0, PAR))
    need = (LABOUR + writeoff) / 4
    fresh = CandidateProduct("A", "A", "Fresh", "L", 100, 100, 1.0, "forecast")
    b = product("B", lam_for_gain(1.0, need + margin))
    (a,) = optimise(cabinet(["A"], (fresh, b), ChangeCost(horizon_weeks=4.0))).assignments
    assert (a.product_id == "B") is swapped
    if swapped:
        assert a.swap_cost_cents == pytest.approx(LABOUR + writeoff, rel=1e-9)
    # the same gain from a product that is not perishable pays back the labour alone
    dry = product("A", 1.0)
    (kept,) = optimise(cabinet(["A"], (dry, b), ChangeCost(horizon_weeks=4.0))).assignments
    assert kept.product_id == "B"


def test_swaps_per_cabinet_are_capped_best_first() -> None:
    # six slots of weak products, six strong ones that each gain more the later they come:
    # with at most two swaps the two largest gains are taken
    weak = [product(f"W{i}", 0.2) for i in range(6)]
    strong = [product(f"S{i}", 1.0 + 0.2 * i) for i in range(6)]
    cost = ChangeCost(horizon_weeks=8.0, max_swaps=2)
    ctx = cabinet([w.product_id for w in weak], (*weak, *strong), cost)
    got = [a.product_id for a in optimise(ctx).assignments]
    assert sorted(p for p in got if p.startswith("S")) == ["S4", "S5"]


def test_trials_are_limited_and_labelled() -> None:
    # two products the machine never carried, each worth a swap: only one may be tried
    weak = [product(f"W{i}", 0.2) for i in range(3)]
    new = [product(f"N{i}", 2.0 + i, carried=False) for i in range(2)]
    cost = ChangeCost(horizon_weeks=8.0, max_swaps=3, max_trials=1)
    ctx = cabinet([w.product_id for w in weak], (*weak, *new), cost)
    assignments = optimise(ctx).assignments
    tried = {a.product_id for a in assignments if a.product_id.startswith("N")}
    assert tried == {"N1"}
    assert all(a.trial for a in assignments if a.product_id == "N1")
    assert not any(a.trial for a in assignments if not a.product_id.startswith("N"))


def test_rows_carry_net_gain_interval_trial_and_visit() -> None:
    cost = ChangeCost(horizon_weeks=4.0)
    b = product("B", lam_for_gain(1.0, 65.0))
    ctx = cabinet(["A"], (product("A", 1.0), b), cost)
    table = recommendation_rows(
        [(ctx, optimise(ctx))],
        "run-1",
        datetime(2026, 3, 2),
        {"M1": NextVisit(date(2026, 3, 4), "visit plan")},
    )
    (row,) = table.to_pylist()
    assert row["change"] == "swap"
    assert row["swap_cost"] == pytest.approx(2.50)
    assert row["weekly_gain"] == pytest.approx(0.65, abs=1e-8)
    assert row["net_gain"] == pytest.approx(0.65 * 4 - 2.50, abs=1e-8)  # 0.10
    assert row["weekly_gain_low"] < 0.65 < row["weekly_gain_high"]
    assert row["trial"] is False
    assert row["visit_date"] == date(2026, 3, 4)
    assert row["visit_source"] == "visit plan"


def test_next_service_day_from_the_mask() -> None:
    monday = date(2026, 3, 2)
    assert next_service_day(monday, "1010100") == date(2026, 3, 4)  # Wednesday
    assert next_service_day(monday, "1000000") == date(2026, 3, 9)  # the next Monday
    assert next_service_day(monday, "0000000") is None


def test_change_cost_settings_from_the_environment() -> None:
    got = load_change_cost(
        {
            "CVD_SWAP_MINUTES": "10",
            "CVD_LABOUR_COST_PER_HOUR": "42",
            "CVD_MAX_SWAPS_PER_CABINET": "2",
            "CVD_WRITEOFF_CATEGORIES": "Fresh, Frozen",
        }
    )
    assert got.labour_cents == pytest.approx(700.0)  # 10/60 × 42 × 100
    assert got.max_swaps == 2
    assert got.writeoff_categories == frozenset({"Fresh", "Frozen"})
    assert load_change_cost({}) == ChangeCost()
    with pytest.raises(SettingsError, match="CVD_MAX_TRIALS_PER_CABINET"):
        load_change_cost({"CVD_MAX_TRIALS_PER_CABINET": "-1"})


def test_the_log_keeps_each_runs_changes(tmp_path: Path) -> None:
    # two runs: each run's changes stay in its own folder of ml/recommendation_log, "keep" rows
    # never; the recommendations table holds the newest run only
    cost = ChangeCost(horizon_weeks=4.0)
    swap = cabinet(["A"], (product("A", 1.0), product("B", lam_for_gain(1.0, 65.0))), cost)
    keep = cabinet(["A"], (product("A", 1.0), product("B", lam_for_gain(1.0, 60.0))), cost)
    for run in ("run/1", "run-2"):
        table = recommendation_rows(
            [(swap, optimise(swap)), (keep, optimise(keep))], run, datetime(2026, 3, 2)
        )
        write_recommendations(tmp_path, table)
    con = duckdb.connect()
    try:
        logged = con.execute(
            on_lake(
                "SELECT run_id, change, recommended_product_id FROM "
                "read_parquet({files:ml/recommendation_log}) ORDER BY 1",
                tmp_path,
            )
        ).fetchall()
        latest = con.execute(
            on_lake(
                "SELECT DISTINCT run_id FROM read_parquet({files:ml/planogram_recommendations})",
                tmp_path,
            )
        ).fetchall()
    finally:
        con.close()
    assert logged == [("run-2", "swap", "B"), ("run/1", "swap", "B")]
    assert latest == [("run-2",)]
