"""The planogram optimiser on hand-built cabinets: expectations against direct sums, optima
against brute-force enumeration, constraints honoured. Expected values are computed here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from models.planogram.candidates import fill_absent, row_size_classes
from models.planogram.expectation import expected_sales, service_intervals
from models.planogram.optimise import optimise
from models.planogram.types import (
    CabinetContext,
    CandidateProduct,
    ChangeCost,
    Constraints,
    SlotInfo,
)

CAP = {"S": 15, "M": 10, "L": 7}
# Swaps free and unlimited: these tests are about the facing search and its constraints (the
# cost of a change: tests/models/test_planogram_cost.py)
FREE = ChangeCost(minutes_per_swap=0.0, max_swaps=10**6, max_trials=10**6)


def direct_expected_min(mu: float, s: int) -> float:
    """E[min(N, s)] by summing the Poisson pmf far into the tail."""
    total, p = 0.0, math.exp(-mu)
    for n in range(400):
        total += min(n, s) * p
        p *= mu / (n + 1)
    return total


@pytest.mark.parametrize(
    ("mu", "s"), [(0.0, 3), (0.5, 0), (0.5, 1), (3.2, 2), (7.0, 7), (40.0, 45)]
)
def test_expected_min_matches_direct_sum(mu: float, s: int) -> None:
    assert float(expected_sales(mu, s)) == pytest.approx(direct_expected_min(mu, s), abs=1e-9)


def test_service_intervals_from_masks() -> None:
    assert service_intervals("1010100") == (2.0, 2.0, 3.0)
    assert service_intervals("1111100") == (1.0, 1.0, 1.0, 1.0, 3.0)
    assert service_intervals("0001000") == (7.0,)


def test_row_size_class_is_largest_in_row() -> None:
    assert row_size_classes(["A1", "A2", "B1", "B2"], ["S", "M", "S", None]) == ["M", "M", "S", "S"]
    assert row_size_classes(["C1"], [None]) == ["L"]


def test_fill_absent_uses_traffic_times_appeal() -> None:
    filled = fill_absent(np.array([[1.0, 2.0], [2.0, np.nan]]))
    assert filled[1, 1] == pytest.approx(4.0)
    assert filled[0, 0] == 1.0


def test_untried_products_borrow_their_category_typical_appeal() -> None:
    # rates 1, 2 at machine 0 and 2 at machine 1: machine 1 has twice the traffic, so it would
    # sell 2 of P0 and 4 of P1; P2 (category A, sold nowhere) gets the median of those, 3 at
    # machine 1 and 1.5 at machine 0; P3's category B has no observed product: 0
    observed = np.array([[1.0, 2.0, np.nan, np.nan], [2.0, np.nan, np.nan, np.nan]])
    filled = fill_absent(observed, ["A", "A", "A", "B"])
    assert filled[1, 1] == pytest.approx(4.0)
    assert filled[:, 2] == pytest.approx([1.5, 3.0])
    assert filled[:, 3].tolist() == [0.0, 0.0]
    # without categories an untried product is not guessed
    assert fill_absent(observed)[:, 2].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="category"):
        fill_absent(observed, ["A", "B"])


def _product(
    pid: str, lam: float, price: int, *, size: str = "M", category: str = "Snack", subs=None
):
    return CandidateProduct(
        pid, f"Name {pid}", category, size, price, price // 2, lam, "forecast", subs or {}
    )


def _slots(n: int, size: str = "L", current: str | None = None) -> tuple[SlotInfo, ...]:
    return tuple(SlotInfo(f"A{i + 1}", f"1{i + 1}", size, current, 10, 8) for i in range(n))


def _weekly_value(products, facings: dict[str, int], interval: float) -> float:
    """The test's own valuation: revenue per week, demand pooled over facings, no substitution."""
    total = 0.0
    for p in products:
        k = facings.get(p.product_id, 0)
        par = min(CAP[p.size], max(1, round(CAP[p.size] * 0.85)))
        total += (
            p.price_cents * direct_expected_min(p.daily_demand * interval, k * par) * 7 / interval
        )
    return total


@pytest.mark.parametrize("interval", [2.0, 7.0])
def test_optimum_matches_brute_force(interval: float) -> None:
    products = (
        _product("P1", 3.0, 200),
        _product("P2", 1.2, 250, size="L"),
        _product("P3", 0.6, 150, size="S"),
        _product("P4", 2.0, 120),
    )
    ctx = CabinetContext("X", "A1", 1, _slots(3), products, interval)
    proposal = optimise(ctx)
    got = {}
    for a in proposal.assignments:
        got[a.product_id] = got.get(a.product_id, 0) + 1
    best = max(
        _weekly_value(products, {p.product_id: combo.count(p) for p in products}, interval)
        for combo in itertools.combinations_with_replacement(products, 3)
    )
    assert _weekly_value(products, got, interval) == pytest.approx(best, rel=1e-9)
    total = sum(a.expected_weekly_revenue_cents for a in proposal.assignments)
    assert total == pytest.approx(best, rel=1e-6)


def test_substitution_transfers_absent_demand() -> None:
    # one slot; X: 1/day at 1.00, Y: 0.9/day at 1.10; Y's customers switch to X and back, q=0.5.
    # Stock 8 a day is never sold out. Without substitution X wins (100 > 99 cents a day); with
    # it Y earns (0.9 + 0.5·1.0)·110 = 154 against X's (1.0 + 0.5·0.9)·100 = 145 a day.
    x = _product("X", 1.0, 100, subs={"Y": 1.0})
    y = _product("Y", 0.9, 110, subs={"X": 1.0})
    ctx = CabinetContext("X", "A1", 1, _slots(1), (x, y), 1.0, substitute_probability=0.5)
    proposal = optimise(ctx)
    assert proposal.assignments[0].product_id == "Y"
    expected = 110 * 7 * direct_expected_min(1.4, 8)  # ≈ 154·7, minus a rare sell-out
    assert proposal.assignments[0].expected_weekly_revenue_cents == pytest.approx(expected)
    no_sub = CabinetContext("X", "A1", 1, _slots(1), (x, y), 1.0, substitute_probability=0.0)
    assert optimise(no_sub).assignments[0].product_id == "X"


def test_constraints_are_honoured() -> None:
    rng = np.random.default_rng(3)
    products = tuple(
        _product(
            f"P{i}",
            float(rng.lognormal(0, 1)),
            int(rng.integers(100, 300)),
            size="SML"[i % 3],
            category=("Snack", "Candy", "Fresh")[i % 3],
        )
        for i in range(30)
    )
    lam = {p.product_id: p.daily_demand for p in products}
    core = min(lam, key=lam.get)
    slots = tuple(
        SlotInfo(f"{r}{c}", f"{r}{c}", size, core if (r, c) == ("A", 1) else None, 10, 8)
        for r, size in (("A", "S"), ("B", "M"), ("C", "L"))
        for c in range(1, 7)
    )
    top = max(lam, key=lam.get)
    constraints = Constraints(
        core_products=frozenset({core}),
        max_facings={top: 1},
        default_max_facings=2,
        required_categories=frozenset({"Fresh"}),
    )
    ctx = CabinetContext(
        "X", "A1", 1, slots, products, 7.0, constraints=constraints, change_cost=FREE
    )
    proposal = optimise(ctx)
    by_id = {p.product_id: p for p in products}
    rank = {"S": 0, "M": 1, "L": 2}
    counts: dict[str, int] = {}
    for slot, a in zip(slots, proposal.assignments, strict=True):
        assert a.product_id, f"slot {slot.slot} left empty"
        assert rank[by_id[a.product_id].size] <= rank[slot.size_class]
        assert 1 <= a.par_level <= a.capacity == CAP[by_id[a.product_id].size]
        counts[a.product_id] = counts.get(a.product_id, 0) + 1
    assert counts.get(core, 0) >= 1
    assert counts[top] == 1
    assert max(counts.values()) <= 2
    assert any(by_id[p].category == "Fresh" for p in counts)


def test_impossible_minimums_are_reported() -> None:
    products = (_product("P1", 1.0, 100), _product("P2", 1.0, 100))
    ctx = CabinetContext(
        "X",
        "A1",
        1,
        _slots(2),
        products,
        7.0,
        constraints=Constraints(min_facings={"P1": 2, "P2": 1}),
    )
    with pytest.raises(ValueError, match="minimum facings"):
        optimise(ctx)
