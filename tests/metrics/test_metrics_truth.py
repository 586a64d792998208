"""The sales marts against the simulator's ground truth: a quirky fleet delivered in two
batches (late files, duplicates, a bad CRC, a wrap, interval-only devices, swaps, price
changes), `cvd materialize` after each. Every expectation comes from `truth/*.parquet`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.orchestration.pipeline import cvd, query

MACHINES, DAYS = 8, 35

PIPELINE_INTERVALS = """
SELECT machine_serial, selection, product_id, period_start, period_end, units_sold,
       CAST(revenue * 100 AS BIGINT), counter_basis, test_vends, free_vends
FROM fct_slot_sales
"""


def _truth(home: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW t AS SELECT * FROM '{home / 'truth' / 'interval_sales.parquet'}'")
        for name in ("slot_day", "stockouts", "reads"):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{home / 'truth' / name}.parquet'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _demo_batch(home: Path, batch: int) -> None:
    args = ["--machines", str(MACHINES), "--days", str(DAYS), "--seed", "7", "--home", str(home)]
    assert cvd("demo-data", *args, "--batches", "2", "--batch", str(batch)) == 0


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("fleet")
    _demo_batch(home, 1)
    assert cvd("materialize", "--home", str(home)) == 0
    assert cvd("import", "master-data", "--home", str(home)) == 0  # the database exists now
    first = query(home, PIPELINE_INTERVALS)
    _demo_batch(home, 2)
    assert cvd("materialize", "--home", str(home)) == 0
    return {"home": home, "first": first}


TRUTH_INTERVALS = """
SELECT serial, selection, product_id, start_machine_time, end_machine_time, units_sold,
       revenue_cents, counter_basis, test_vends, free_vends
FROM t
"""


def test_interval_sales_equal_truth_after_both_batches(fleet: dict[str, object]) -> None:
    home = fleet["home"]
    assert isinstance(home, Path)
    truth = _truth(home, TRUTH_INTERVALS)
    ours = query(home, PIPELINE_INTERVALS)
    assert sorted(ours) == sorted(truth)
    # the quirks the comparison is meant to exercise are really in the data
    bases = {row[7] for row in truth}
    assert {"cumulative", "interval", "wrap"} <= bases


def test_first_batch_intervals_are_unions_of_true_intervals(fleet: dict[str, object]) -> None:
    """Before the late files arrive an interval may span a missing read: then it must hold
    exactly the true intervals it covers (the next read's counters cover the gap)."""
    home = fleet["home"]
    assert isinstance(home, Path)
    first = fleet["first"]
    assert isinstance(first, list) and first
    truth = _truth(home, TRUTH_INTERVALS)
    for serial, selection, _product, start, end, units, cents, basis, *_ in first:
        covered = [
            t
            for t in truth
            if t[0] == serial and t[1] == selection and t[3] >= start and t[4] <= end
        ]
        assert covered, (serial, selection, start, end)
        assert min(t[3] for t in covered) == start and max(t[4] for t in covered) == end
        if basis != "interval":  # an interval-only device loses what a missing read counted
            assert (sum(t[5] for t in covered), sum(t[6] for t in covered)) == (units, cents)


def test_daily_sales_add_up_and_follow_truth(fleet: dict[str, object]) -> None:
    home = fleet["home"]
    assert isinstance(home, Path)
    per_slot_truth = _truth(
        home, "SELECT serial, selection, sum(units_sold), sum(revenue_cents) FROM t GROUP BY ALL"
    )
    per_slot_daily = query(
        home,
        "SELECT machine_serial, selection, sum(units_sold), CAST(sum(revenue) * 100 AS BIGINT) "
        "FROM fct_daily_sales GROUP BY ALL",
    )
    assert sorted(per_slot_daily) == sorted(per_slot_truth)
    # Days are an estimate (the profile spreads each interval); against the true calendar
    # days, per machine and day, telemetry devices (nightly reads) are within 6 % of all
    # units and handheld devices (reads days apart) within 25 % (docs/metrics.md).
    daily = {
        (s, d): u
        for s, d, u in query(
            home,
            "SELECT machine_serial, sales_date, sum(units_sold) FROM fct_daily_sales GROUP BY ALL",
        )
    }
    truth = _truth(home, "SELECT serial, date, sum(units_sold) FROM slot_day GROUP BY ALL")
    telemetry = dict(query(home, "SELECT dex_serial, telemetry FROM devices"))
    for is_telemetry, bound in ((True, 0.06), (False, 0.25)):
        rows = [(s, d, u) for s, d, u in truth if telemetry[s] == is_telemetry]
        error = sum(abs(u - daily.get((s, d), 0)) for s, d, u in rows)
        total = sum(u for *_, u in rows)
        assert total and error / total <= bound, (is_telemetry, error, total)


def test_stockouts_match_truth(fleet: dict[str, object]) -> None:
    home = fleet["home"]
    assert isinstance(home, Path)
    truth = _truth(home, "SELECT serial, selection, start_at FROM stockouts")
    ours = query(
        home, "SELECT machine_serial, selection, start_at, start_source FROM fct_stockouts"
    )

    def near(a: tuple, b: tuple) -> bool:  # type: ignore[type-arg]
        return a[0] == b[0] and a[1] == b[1] and abs((a[2] - b[2]).total_seconds()) < 3600

    # PA5 gives the start to the hour: 95 % of PA5 episodes are true ones, and 90 % of true
    # episodes are found (the rest sold out and were refilled between two reads, or PA5 kept
    # only the last of two sell-outs in one interval)
    pa5 = [o for o in ours if o[3] == "PA5"]
    assert sum(any(near(o, t) for t in truth) for o in pa5) >= 0.95 * len(pa5)
    assert sum(any(near(t, o) for o in ours) for t in truth) >= 0.90 * len(truth)
    # lost demand (customers who walked away or took a substitute) within 30 %
    (est,) = query(home, "SELECT sum(est_lost_units) FROM fct_stockouts")[0]
    (lost,) = _truth(home, "SELECT sum(lost_units + substituted_out) FROM slot_day")[0]
    assert abs(est - lost) <= 0.30 * lost, (est, lost)


def test_other_marts_answer(fleet: dict[str, object]) -> None:
    home = fleet["home"]
    assert isinstance(home, Path)
    health = query(home, "SELECT machine_serial, status, reads_received FROM machine_health")
    (reads,) = _truth(home, "SELECT count(*) FROM reads WHERE usable_as_delivered")[0]
    assert len(health) == MACHINES
    assert sum(r[2] for r in health) == reads
    assert {r[1] for r in health} <= {"ok", "failing", "stale", "unassigned"}
    (slots,) = query(home, "SELECT count(*) FROM slot_status WHERE slot IS NOT NULL")[0]
    assert slots > 0
    (units,) = _truth(home, "SELECT sum(units_sold) FROM t")[0]
    for view in ("sales_by_product_day", "sales_by_location_day", "sales_by_route_day",
                 "revenue_per_machine_day", "sales_by_product_week"):  # fmt: skip
        assert query(home, f"SELECT sum(units_sold) FROM {view}")[0][0] == units, view


def test_clock_set_backwards_keeps_intervals_exact(tmp_path: Path) -> None:
    """Seed 18 (8 machines × 35 days) sets one device's clock back by ~92 days mid-run: reads
    after the jump carry earlier times than reads before it. Chained by EA4/EA301, every
    interval (the one spanning the jump included) still equals the truth."""
    home = tmp_path / "jump"
    args = ["--machines", "8", "--days", "35", "--seed", "18", "--home", str(home)]
    assert cvd("demo-data", *args) == 0
    (backwards,) = _truth(
        home,
        f"SELECT count(*) FROM '{home / 'truth' / 'events.parquet'}' "
        "WHERE kind = 'clock_jump' AND CAST(new_value AS BIGINT) < CAST(old_value AS BIGINT)",
    )[0]
    assert backwards == 1  # the quirk the test is about is really in the data
    assert cvd("materialize", "--home", str(home)) == 0
    assert sorted(query(home, PIPELINE_INTERVALS)) == sorted(_truth(home, TRUTH_INTERVALS))
