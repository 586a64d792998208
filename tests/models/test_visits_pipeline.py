"""Visit planning end to end on a simulated fleet: `cvd demo-data` + `cvd materialize` (45 days:
the forecast's backtest needs 42), then the
plan against the simulator's truth (slots still empty at the end of the run, the last day, the
routes and drivers of the master data): nothing expected here comes from the planner."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.orchestration.pipeline import cvd, query


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("visits")
    args = ["--home", str(home)]
    assert cvd("demo-data", "--machines", "6", "--days", "45", "--seed", "5", *args) == 0
    assert cvd("db", "upgrade", *args) == 0
    assert cvd("import", "master-data", *args) == 0
    assert cvd("materialize", *args) == 0
    return home


def _truth(home: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect()
    try:
        for name in ("slot_day", "stockouts"):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{home / 'truth' / name}.parquet'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _empty_at_end(home: Path) -> dict[str, int]:
    """Per machine, slots whose last stock-out episode was never refilled (truth)."""
    rows = _truth(
        home,
        "SELECT d.serial, count(s.serial) FROM (SELECT DISTINCT serial FROM slot_day) d "
        "LEFT JOIN stockouts s ON s.serial = d.serial AND s.end_at IS NULL GROUP BY 1",
    )
    return dict(rows)


def test_sold_out_slots_equal_the_truth(home: Path) -> None:
    # every machine is read at 23:59:59 on the last day, so the levels now are known exactly
    ours = dict(query(home, "SELECT machine_serial, sold_out_slots FROM service_scores"))
    assert ours == _empty_at_end(home)


def test_plan_visits_machines_with_sold_out_slots(home: Path) -> None:
    empty = _empty_at_end(home)
    assert sum(n > 0 for n in empty.values()) >= 2  # the fleet gives the test something to find
    last_day = _truth(home, "SELECT max(date) FROM slot_day")[0][0]
    plan = query(home, "SELECT plan_date, route_id, driver, stop, machine_serial FROM service_plan")
    assert plan, "no machine planned"
    assert {row[0] for row in plan} == {last_day + timedelta(days=1)}
    planned = {row[4] for row in plan}
    # every machine with two or more slots still empty is visited, and at least three in four
    # visited ones have an empty slot (a machine may also be due from its projected sales)
    assert {m for m, n in empty.items() if n >= 2} <= planned
    assert sum(empty[m] >= 1 for m in planned) >= 0.75 * len(planned)
    with (home / "master-data" / "routes.csv").open() as f:
        drivers = {r["route_id"]: r["driver"] for r in csv.DictReader(f)}
    with (home / "master-data" / "devices.csv").open() as f:
        route_of = {r["dex_serial"]: r["route_id"] for r in csv.DictReader(f)}
    for _, route, driver, _, machine in plan:
        assert route == route_of[machine] and driver == drivers[route]
    for route in {row[1] for row in plan}:
        stops = sorted(row[3] for row in plan if row[1] == route)
        assert stops == list(range(1, len(stops) + 1))


def test_empty_slots_get_a_full_par_pick(home: Path) -> None:
    empty = set(
        _truth(home, "SELECT serial, cabinet_index, slot FROM stockouts WHERE end_at IS NULL")
    )
    picks = query(
        home,
        "SELECT machine_serial, cabinet_index, slot, par_level, predicted_level, quantity "
        "FROM service_plan_picks",
    )
    planned = {p[0] for p in picks}
    checked = 0
    for serial, cabinet, slot, par, predicted, quantity in picks:
        assert quantity >= 0 and quantity >= par - predicted
        if (serial, cabinet, slot) in empty:
            assert (predicted, quantity) == (0, par)
            checked += 1
    assert checked == len({e for e in empty if e[0] in planned}) > 0


def test_route_pick_list_sums_the_slots(home: Path) -> None:
    picks = query(home, "SELECT route_id, product_id, quantity FROM service_plan_picks")
    expected: dict[tuple[str, str], int] = {}
    for route, product, quantity in picks:
        if quantity > 0:
            expected[(route, product)] = expected.get((route, product), 0) + quantity
    rows = query(home, "SELECT route_id, product_id, quantity FROM service_plan_route_picks")
    assert {(r, p): q for r, p, q in rows} == expected
    assert len(rows) == len(expected) > 0
