"""Issue 19: recommendations an operator will accept, checked on the shared materialized demo home
(``platform_home``: 8 machines x 45 days, seed 11; one of them a Crane Merchant Media whose
fresh-food cabinet also sells drinks the cooler holds).

Every expectation comes from outside the optimiser: the DEX sales of the warehouse
(``fct_daily_sales``, what the machines counted) and the simulator's truth (which products the
drivers swapped in, ``truth/events.parquet``), never from ``planogram_recommendations`` itself.
"""

from __future__ import annotations

import math
from collections import Counter

import duckdb
import pytest

from models.planogram.candidates import demand_shares
from models.planogram.optimise import current_slot_expectations, optimise
from models.planogram.reasons import Outlook, slot_reason
from models.planogram.types import CabinetContext, CandidateProduct, ChangeCost, SlotInfo
from tests.models.test_planogram_optimise import direct_expected_min
from tests.platform_home import PlatformHome

RECENT_DAYS = 10  # "sold recently": the window
AGREE_DAYS = 28  # the window recent weekly sales are compared over
MIN_WEEKLY = 5.0  # groups selling less are too noisy to compare
# A selling slot's current expected weekly units (and a product's, summed over its slots of a
# cabinet) vs its DEX sales there over the last 4 weeks: the forecast is uncensored and trended,
# so it may differ, but not by more than 4x either way; "selling nothing" (the bug: 0) is far
# outside. The fleet's median must be near 1.
WORST_RATIO = 4.0
MEDIAN_RANGE = (0.75, 1.33)

# Per recommendation row: the product DEX last sold in its selection (what is in the machine)
# and that product's units there over the last RECENT_DAYS and AGREE_DAYS days of the machine.
DEX_SLOTS = f"""
WITH last AS (
    SELECT machine_serial, max(sales_date) AS day FROM fct_daily_sales GROUP BY 1
),
held AS (
    SELECT machine_serial, selection_key AS selection,
           arg_max(product_id, sales_date) AS product_id
    FROM fct_daily_sales
    WHERE units_sold > 0
    GROUP BY ALL
),
sold AS (
    SELECT s.machine_serial, s.selection_key AS selection, s.product_id,
           sum(s.units_sold) FILTER (WHERE s.sales_date > last.day - {RECENT_DAYS}) AS recent,
           sum(s.units_sold) FILTER (WHERE s.sales_date > last.day - {AGREE_DAYS}) AS window
    FROM fct_daily_sales AS s JOIN last USING (machine_serial)
    GROUP BY ALL
)
SELECT r.machine_serial, r.cabinet, r.slot, r.selection, h.product_id,
       coalesce(s.recent, 0), coalesce(s.window, 0), r.current_weekly_units, r.reason
FROM planogram_recommendations AS r
LEFT JOIN held AS h USING (machine_serial, selection)
LEFT JOIN sold AS s
       ON s.machine_serial = r.machine_serial AND s.selection = r.selection
      AND s.product_id = h.product_id
"""


@pytest.fixture(scope="module")
def dex_slots(platform_home: PlatformHome) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect(str(platform_home.warehouse), read_only=True)
    try:
        return con.execute(DEX_SLOTS).fetchall()
    finally:
        con.close()


def test_no_recommendation_treats_a_selling_slot_as_empty(dex_slots: list[tuple]) -> None:
    selling = [r for r in dex_slots if r[5] > 0]
    assert len(selling) > 100, "the demo home should have many slots selling recently"
    wrong = [
        f"{r[0]} cabinet {r[1]} {r[2]} ({r[4]} sold {r[5]} in {RECENT_DAYS} days): "
        f"{r[7]:.2f} units/week now; {r[8]}"
        for r in selling
        if r[7] <= 0 or r[8].startswith("Fill the empty slot")
    ]
    assert not wrong, f"{len(wrong)} selling slots treated as empty:\n" + "\n".join(wrong[:10])


def _far_from_sales(groups: dict[tuple, list[float]]) -> tuple[dict[tuple, float], float, int]:
    """Of the groups (key -> [weekly units sold, current weekly units]) selling MIN_WEEKLY or
    more: those whose ratio now/sold is beyond WORST_RATIO either way, the median ratio, and how
    many were compared."""
    compared = {k: now / weekly for k, (weekly, now) in groups.items() if weekly >= MIN_WEEKLY}
    far = {k: round(v, 3) for k, v in compared.items() if not 1 / WORST_RATIO <= v <= WORST_RATIO}
    ratios = sorted(compared.values())
    return far, ratios[len(ratios) // 2] if ratios else math.nan, len(compared)


@pytest.mark.parametrize("per", ["slot", "product in cabinet"])
def test_current_units_of_selling_slots_agree_with_recent_sales(
    dex_slots: list[tuple], per: str
) -> None:
    groups: dict[tuple, list[float]] = {}
    for r in dex_slots:
        if r[4] is None:
            continue
        key = (r[0], r[1], r[2]) if per == "slot" else (r[0], r[1], r[4])
        g = groups.setdefault(key, [0.0, 0.0])
        g[0] += r[6] * 7.0 / AGREE_DAYS
        g[1] += r[7]
    far, median, compared = _far_from_sales(groups)
    assert compared > 50
    assert not far, f"now/sold far from 1 for {len(far)} of {compared}: {sorted(far.items())[:10]}"
    assert MEDIAN_RANGE[0] <= median <= MEDIAN_RANGE[1], median


def _truth_swaps(home: PlatformHome) -> set[tuple[str, str, str]]:
    """(serial, selection, product) of the drivers' last swap of every selection the machine read
    after the swap, from the simulator's truth, when it left another product than the master
    data's planogram (which is as at the start of the run)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            """
            WITH swaps AS (
                SELECT serial, asset_number, selection, arg_max(new_value, "at") AS product,
                       max("at") AS swapped_at
                FROM read_parquet(?) WHERE kind = 'product_swap' GROUP BY ALL
            ),
            reads AS (SELECT serial, max(read_at) AS last_read FROM read_parquet(?)
                      WHERE usable_as_delivered GROUP BY 1)
            SELECT s.serial, s.selection, s.product
            FROM swaps AS s JOIN reads USING (serial)
            JOIN read_csv(?, all_varchar = true) AS p
              ON p.asset_number = s.asset_number AND p.selection = s.selection
            WHERE s.swapped_at < reads.last_read AND s.product <> p.product_id
            """,
            [
                str(home.home / "truth" / "events.parquet"),
                str(home.home / "truth" / "reads.parquet"),
                str(home.home / "master-data" / "planograms.csv"),
            ],
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1], r[2]) for r in rows}


def test_planogram_vs_dex_lists_the_drivers_swaps(platform_home: PlatformHome) -> None:
    expected = _truth_swaps(platform_home)
    assert expected, "the demo home should have products swapped by drivers"
    con = duckdb.connect(str(platform_home.warehouse), read_only=True)
    try:
        found = con.execute(
            "SELECT machine_serial, selection, dex_product_id FROM planogram_vs_dex "
            "WHERE status = 'differs'"
        ).fetchall()
        reasons = {
            (r[0], r[1]): r[2]
            for r in con.execute(
                "SELECT machine_serial, selection, reason FROM planogram_recommendations"
            ).fetchall()
        }
        changes = dict(
            con.execute(
                "SELECT machine_serial || ':' || selection, change FROM planogram_recommendations"
            ).fetchall()
        )
        names = dict(con.execute("SELECT product_id, name FROM products").fetchall())
    finally:
        con.close()
    assert set(found) == expected
    for serial, selection, product in expected:  # the optimiser planned with DEX's product
        reason = reasons[(serial, selection)]
        assert reason.startswith(f"The machine reports {names[product]} in selection {selection}")
        # machine and planogram differ: whatever is recommended, one of them must change
        assert changes[f"{serial}:{selection}"] in {"swap", "record"}


def _recommended(home: PlatformHome) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT machine_serial, cabinet, selection, change, recommended_product_id, "
            "swap_cost, net_gain, visit_date FROM planogram_recommendations"
        ).fetchall()
    finally:
        con.close()


def test_a_driver_swap_the_planogram_lacks_is_recorded_not_swapped(
    platform_home: PlatformHome,
) -> None:
    """Where the machine holds what the driver swapped in (simulator truth) and the proposal
    keeps it, only the planogram has to change: ``record``, never ``swap``; no other row is a
    record; where the proposal puts yet another product in, it is a real, costed swap."""
    truth = {(s, sel): p for s, sel, p in _truth_swaps(platform_home)}
    rows = {(r[0], r[2]): r for r in _recommended(platform_home)}
    kept = {k for k, product in truth.items() if rows[k][4] == product}
    assert kept, "the demo home should have driver swaps the optimiser keeps"
    assert {k for k, r in rows.items() if r[3] == "record"} == kept
    for key in kept:  # no cost, no gain, no visit
        assert rows[key][5] == 0.0 and rows[key][6] is None and rows[key][7] is None, rows[key]
    for key in truth.keys() - kept:
        assert rows[key][3] == "swap" and rows[key][5] > 0, rows[key]


def test_swaps_per_cabinet_stay_within_the_cap(platform_home: PlatformHome) -> None:
    """The cap (``CVD_MAX_SWAPS_PER_CABINET``, default 4: the demo home sets none) counts the
    swaps a driver makes; records are not among them."""
    cap = ChangeCost().max_swaps
    swaps = Counter((r[0], r[1]) for r in _recommended(platform_home) if r[3] == "swap")
    assert swaps, "the demo home should have swaps"
    assert max(swaps.values()) <= cap, swaps.most_common(3)


def test_demand_shares_split_a_product_by_where_it_sold() -> None:
    held = {1: ["P1", "P1", "P2"], 3: ["P1", ""]}
    # worked by hand: P1 sold 30 in cabinet 1 and 10 in cabinet 3 -> 3/4 and 1/4; P2 only in 1
    shares = demand_shares(held, {1: {"P1": 30.0, "P2": 5.0}, 3: {"P1": 10.0}})
    assert shares == {"P1": {1: 0.75, 3: 0.25}, "P2": {1: 1.0}}
    # sold nowhere: by facings, 2 of 3 in cabinet 1
    assert demand_shares(held, {})["P1"] == pytest.approx({1: 2 / 3, 3: 1 / 3})


def test_a_slot_is_planned_with_the_product_dex_reports() -> None:
    # planogram: P1 (not even a candidate); the machine reports P2, which sells 1 a day
    slot = SlotInfo("A1", "11", "L", "P1", 7, 6, dex_product_id="P2")
    p2 = CandidateProduct("P2", "Cola", "Beverage", "L", 200, 100, 1.0, "forecast")
    ctx = CabinetContext("M1", "A1", 1, (slot,), (p2,), service_interval_days=7.0)
    # one visit a week filling 6: a week sells min(Poisson(7), 6)
    units, revenue = current_slot_expectations(ctx)[0]
    assert units == pytest.approx(direct_expected_min(7.0, 6), rel=1e-6)
    assert revenue == pytest.approx(units * 200, rel=1e-6)
    reason = optimise(ctx).assignments[0].reason
    assert reason.startswith("The machine reports Cola in selection 11, the planogram P1")


def test_only_an_empty_slot_is_called_empty() -> None:
    new = Outlook("Cola", 1, 5.0, 0.0, "forecast")
    held = slot_reason(None, None, new, None, substitute=None, q=0.55, held="P9")
    assert held.startswith("Replace P9 ") and "empty" not in held
    empty = slot_reason(None, None, new, None, substitute=None, q=0.55)
    assert empty.startswith("Fill the empty slot with Cola")
