"""Issue 19: a slot whose planogram lags the machine (DEX reports another product) and whose
proposal keeps what the machine holds is a ``record``, not a swap: no cost, no visit, and never
counted against the swaps-per-cabinet cap, so it cannot push out a real swap.

Worked by hand, as in ``test_planogram_cost``: one facing refilled every day holds par 6; a
product with ``λ`` customers a day sells ``7 · E[min(Poisson(λ), 6)]`` a week. The cabinet:
A1, A2 hold D1, D2 (λ = 2, DEX says so; the planogram still names P1, P2, which the machine no
longer holds); A3, A4 hold W3, W4 (λ = 0.2); S (λ = 1.5) waits outside. Swapping a W for S gains
``100 · 7 · (E[min(P(1.5), 6)] − E[min(P(0.2), 6)])`` ≈ 909 cents a week, far above the 250
cents of labour over 8 weeks; a second facing of D1 or D2 adds
``100 · 7 · (E[min(P(2), 12)] − E[min(P(2), 6)])`` ≈ 8 cents a week, less than its labour. So
with at most one swap the best plan is: A1, A2 keep D1, D2 (records), one W becomes S (the one
swap), the other W stays.
"""

from __future__ import annotations

from datetime import date, datetime

from models.planogram.optimise import optimise
from models.planogram.types import CabinetContext, ChangeCost, SlotInfo
from models.planogram.visits import NextVisit
from models.planogram.writer import recommendation_rows
from tests.models.test_planogram_cost import PAR, product


def _cabinet(max_swaps: int) -> CabinetContext:
    slots = (
        SlotInfo("A1", "11", "L", "P1", 7, PAR, dex_product_id="D1"),
        SlotInfo("A2", "12", "L", "P2", 7, PAR, dex_product_id="D2"),
        SlotInfo("A3", "13", "L", "W3", 7, PAR),
        SlotInfo("A4", "14", "L", "W4", 7, PAR, dex_product_id="W4"),  # DEX agrees
    )
    products = (
        product("D1", 2.0),
        product("D2", 2.0),
        product("W3", 0.2),
        product("W4", 0.2),
        product("S", 1.5),
    )
    cost = ChangeCost(horizon_weeks=8.0, max_swaps=max_swaps)
    return CabinetContext("M1", "A1", 1, slots, products, 1.0, change_cost=cost)


def _rows(ctx: CabinetContext) -> dict[str, dict[str, object]]:
    table = recommendation_rows(
        [(ctx, optimise(ctx))],
        "run-1",
        datetime(2026, 3, 2),
        {"M1": NextVisit(date(2026, 3, 4), "visit plan")},
    )
    return {str(row["slot"]): row for row in table.to_pylist()}


def test_a_lagging_planogram_is_recorded_not_swapped_and_does_not_use_the_cap() -> None:
    rows = _rows(_cabinet(max_swaps=1))
    for slot, dex in (("A1", "D1"), ("A2", "D2")):
        row = rows[slot]
        assert row["change"] == "record", row
        assert row["recommended_product_id"] == dex
        assert row["current_product_id"] == f"P{slot[1]}"  # what accepting it changes
        assert row["swap_cost"] == 0.0
        assert row["weekly_gain"] is None and row["net_gain"] is None
        assert row["visit_date"] is None  # nobody goes to the machine for it
        assert row["trial"] is False
    swaps = [r for r in rows.values() if r["change"] == "swap"]
    # the one swap the cap allows is still made: W → S on A3 or A4
    assert [(r["current_product_id"], r["recommended_product_id"]) for r in swaps] in (
        [("W3", "S")],
        [("W4", "S")],
    )
    assert swaps[0]["swap_cost"] == 2.5 and swaps[0]["visit_date"] == date(2026, 3, 4)
    assert sorted(r["change"] for r in rows.values()) == ["keep", "record", "record", "swap"]


def test_the_summary_counts_records_apart_from_changes() -> None:
    summary = optimise(_cabinet(max_swaps=1)).summary
    assert summary.startswith("1 slot(s) change:"), summary
    assert summary.endswith("record what the machine holds in 2 slot(s)."), summary
