"""Issue 19, "work from DEX alone": machines whose master data was never imported (no device
row, cabinets, planogram, location or route: they register themselves from their DEX serials)
still get an observed planogram, par levels, recommendations and visit-plan entries.

The home (``tests/dex_only_home.py``) is a real `cvd demo-data` fleet (6 machines x 30 days,
seed 11) with the master data of three machines deleted from the CSVs before `cvd import
master-data`. Expected values come from the simulator: its planogram CSV (kept before the
deletion) with the product swaps and price changes of truth/events.parquet applied, its devices'
service days, and its truth of which slots are sold out at the end.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.dex_only_home import DEX_ONLY
from tests.orchestration.pipeline import query
from tests.platform_home import PlatformHome


@pytest.fixture(scope="module")
def home(dex_only_home: PlatformHome) -> Path:
    return dex_only_home.home


def _serials(home: Path) -> dict[str, str]:
    """asset number -> DEX serial of the deleted machines, from the simulator's devices.csv."""
    with (home / "simulator-master-data" / "devices.csv").open(newline="") as handle:
        return {r["asset_number"]: r["dex_serial"] for r in csv.DictReader(handle)}


def _true_planogram(home: Path, serial: str, asset: str) -> dict[str, tuple[str, int]]:
    """selection -> (product, price in cents) in the machine at its last read: the simulator's
    starting planogram, then its swaps (a swapped-in product at its catalog price, as the
    simulator's driver does) and price changes up to that read (machine clock)."""
    slots: dict[str, tuple[str, int]] = {}
    with (home / "simulator-master-data" / "products.csv").open(newline="") as handle:
        catalog = {r["product_id"]: round(float(r["price"]) * 100) for r in csv.DictReader(handle)}
    with (home / "simulator-master-data" / "planograms.csv").open(newline="") as handle:
        for r in csv.DictReader(handle):
            if r["asset_number"] == asset:
                slots[r["selection"]] = (r["product_id"], round(float(r["price"]) * 100))
    truth = home / "truth"
    con = duckdb.connect()
    try:
        events = con.execute(
            f"SELECT kind, selection, new_value FROM '{truth / 'events.parquet'}' "
            "WHERE serial = $s AND kind IN ('product_swap', 'price_change') AND machine_time <= "
            f"(SELECT max(machine_time) FROM '{truth / 'reads.parquet'}' WHERE serial = $s) "
            "ORDER BY machine_time",
            {"s": serial},
        ).fetchall()
    finally:
        con.close()
    for kind, selection, new in events:
        product, _price = slots[selection]
        slots[selection] = (new, catalog[new]) if kind == "product_swap" else (product, int(new))
    return slots


def test_machines_without_master_data_register_unplaced(home: Path) -> None:
    serials = _serials(home)
    rows = query(home, "SELECT dex_serial, asset_number, location_id FROM devices")
    unplaced = {serial for serial, asset, location in rows if asset is None and location is None}
    assert unplaced == {serials[a] for a in DEX_ONLY}


def test_observed_planogram_equals_the_simulators(home: Path) -> None:
    serials = _serials(home)
    for asset in DEX_ONLY:
        serial = serials[asset]
        rows = query(
            home,
            "SELECT selection, product_id, price_cents, source FROM effective_planogram "
            f"WHERE machine_serial = '{serial}'",
        )
        assert {r[3] for r in rows} == {"observed"}
        ours = {selection: (product, price) for selection, product, price, _ in rows}
        assert ours == _true_planogram(home, serial, asset), asset


def test_observed_capacity_and_par_are_the_machines(home: Path) -> None:
    # the simulator's devices report capacity (PA104) and standard fill (PA105): they are the
    # planogram's capacity and par level (swaps keep a slot's spiral, as the simulator does)
    serials = _serials(home)
    with (home / "simulator-master-data" / "planograms.csv").open(newline="") as handle:
        truth = {
            (serials[r["asset_number"]], r["selection"]): (int(r["capacity"]), int(r["par_level"]))
            for r in csv.DictReader(handle)
            if r["asset_number"] in DEX_ONLY
        }
    rows = query(
        home,
        "SELECT machine_serial, selection, capacity, par_level, capacity_source "
        "FROM observed_planogram",
    )
    assert {(s, sel): (c, p) for s, sel, c, p, _ in rows} == truth
    assert {r[4] for r in rows} == {"dex"}


def test_observed_service_days_are_the_simulators(home: Path) -> None:
    # by machine clock: a machine whose clock jumped (truth) shifts its weekdays, left out
    serials = _serials(home)
    con = duckdb.connect()
    try:
        jumped = {
            r[0]
            for r in con.execute(
                f"SELECT serial FROM '{home / 'truth' / 'events.parquet'}' "
                "WHERE kind = 'clock_jump'"
            ).fetchall()
        }
    finally:
        con.close()
    with (home / "simulator-master-data" / "devices.csv").open(newline="") as handle:
        truth = {
            r["dex_serial"]: r["service_days"]
            for r in csv.DictReader(handle)
            if r["asset_number"] in DEX_ONLY and r["dex_serial"] not in jumped
        }
    assert len(truth) >= 2
    rows = query(home, "SELECT DISTINCT machine_serial, service_days FROM observed_planogram")
    assert {s: d for s, d in rows if s in truth} == truth
    assert {serials[a] for a in DEX_ONLY} == {s for s, _ in rows}


def test_master_planograms_stay_the_masters(home: Path) -> None:
    serials = _serials(home)
    sources = dict(query(home, "SELECT DISTINCT machine_serial, source FROM effective_planogram"))
    assert sources == {
        serial: "observed" if asset in DEX_ONLY else "master" for asset, serial in serials.items()
    }


def test_dex_only_machines_get_recommendations(home: Path) -> None:
    serials = _serials(home)
    rows = query(
        home,
        "SELECT machine_serial, count(*), count(*) FILTER (WHERE change <> 'keep'), "
        "count(DISTINCT recommended_product_id) FROM planogram_recommendations GROUP BY 1",
    )
    per_machine = {r[0]: r[1:] for r in rows}
    for asset in DEX_ONLY:
        slots, _changes, products = per_machine[serials[asset]]
        observed = query(
            home,
            f"SELECT count(*) FROM observed_planogram WHERE machine_serial = '{serials[asset]}'",
        )[0][0]
        assert slots == observed, asset  # one row per observed slot
        assert products > 1, asset
    assert sum(per_machine[serials[a]][1] for a in DEX_ONLY) > 0, "no change proposed"
    # candidates are products of the catalog (seen in the fleet), never an unknown id
    unknown = query(
        home,
        "SELECT count(*) FROM planogram_recommendations r ANTI JOIN products p "
        "ON p.product_id = r.recommended_product_id WHERE r.recommended_product_id IS NOT NULL",
    )
    assert unknown == [(0,)]


def _empty_at_end(home: Path) -> dict[str, int]:
    """Per machine, slots whose last stock-out was never refilled (the simulator's truth)."""
    truth = home / "truth"
    con = duckdb.connect()
    try:
        return dict(
            con.execute(
                f"SELECT d.serial, count(s.serial) FROM "
                f"(SELECT DISTINCT serial FROM '{truth / 'slot_day.parquet'}') d "
                f"LEFT JOIN '{truth / 'stockouts.parquet'}' s "
                "ON s.serial = d.serial AND s.end_at IS NULL GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()


def test_dex_only_machines_are_scored_and_planned(home: Path) -> None:
    serials = _serials(home)
    dex_only = {serials[a] for a in DEX_ONLY}
    scores = dict(query(home, "SELECT machine_serial, sold_out_slots FROM service_scores"))
    assert dex_only <= set(scores)
    truth = _empty_at_end(home)
    assert {s: scores[s] for s in dex_only} == {s: truth[s] for s in dex_only}
    plan = query(home, "SELECT machine_serial, route_id FROM service_plan")
    planned = {serial for serial, _ in plan} & dex_only
    assert planned, "no machine known only from DEX is on the visit plan"
    assert all(route is None for serial, route in plan if serial in dex_only)
    picks = query(
        home,
        "SELECT machine_serial, count(*), sum(quantity) FROM service_plan_picks GROUP BY 1",
    )
    by_serial = {r[0]: r[1:] for r in picks}
    for serial in planned:
        slots, units = by_serial[serial]
        assert slots == len(
            query(home, f"SELECT 1 FROM observed_planogram WHERE machine_serial = '{serial}'")
        )
        assert units > 0
