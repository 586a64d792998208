"""``dashboards/sql/editor_forecast.sql`` (the planogram editor's what-if) against the same
figures worked out in plain Python from the forecast's rows on the shared demo home.

The rule, from docs/dashboards.md and the query's header: the forecast's first 7 days (from its
earliest date); kind 'slot': each slot of the machine, its units over those days; kind
'product': each product's mean weekly units per slot across the fleet, times this machine's
traffic (its slots' units over the fleet means of the same slots' products; 1 for a machine
without forecast slots).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import duckdb
import pytest

from dashboards import data
from tests.platform_home import PlatformHome

Key = tuple[str, int, str, str]  # machine, cabinet, slot, product


def _weekly(platform_home: PlatformHome) -> dict[Key, float]:
    """Units per machine slot and product over the forecast's first 7 days."""
    con = duckdb.connect(str(platform_home.warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT machine_serial, cabinet_index, slot, product_id, forecast_date,"
            " expected_units FROM demand_forecast"
        ).fetchall()
    finally:
        con.close()
    first = min(row[4] for row in rows)
    weekly: dict[Key, float] = defaultdict(float)
    for machine, cabinet, slot, product, day, units in rows:
        if day < first + timedelta(days=7):
            weekly[(machine, cabinet, slot, product)] += units
    return weekly


def _expected(
    weekly: dict[Key, float], serial: str
) -> tuple[dict[tuple[int, str, str], float], dict[str, float], float]:
    """The slot rows and the product rows the editor should get for machine ``serial``, and
    the machine's traffic factor."""
    per_product: dict[str, list[float]] = defaultdict(list)
    for (_, _, _, product), units in weekly.items():
        per_product[product].append(units)
    fleet = {product: sum(u) / len(u) for product, u in per_product.items()}
    mine = {(c, s, p): units for (m, c, s, p), units in weekly.items() if m == serial}
    fleet_here = sum(fleet[p] for (_, _, p) in mine)
    factor = sum(mine.values()) / fleet_here if mine and fleet_here else 1.0
    return mine, {product: rate * factor for product, rate in fleet.items()}, factor


def test_the_what_if_forecast_matches_the_rule_for_every_machine(
    platform_home: PlatformHome,
) -> None:
    weekly = _weekly(platform_home)
    serials = sorted({key[0] for key in weekly})
    assert len(serials) == 8  # the demo home's fleet, each with a forecast
    factors = set()
    for serial in [*serials, "", "NO-SUCH-SERIAL"]:
        slots, products, factor = _expected(weekly, serial)
        frame = data.run_query(platform_home.warehouse, "editor_forecast", machine_serial=serial)
        got_slots = {
            (int(r.cabinet_index), r.slot, r.product_id): r.weekly_units
            for r in frame[frame["kind"] == "slot"].itertuples()
        }
        got_products = {
            r.product_id: r.weekly_units for r in frame[frame["kind"] == "product"].itertuples()
        }
        assert len(frame) == len(slots) + len(products), serial
        assert got_slots == pytest.approx(slots), serial
        assert got_products == pytest.approx(products), serial
        factors.add(round(factor, 6))
    # the machines differ in traffic: the product rows are scaled per machine, not one table
    assert len(factors) > 2
