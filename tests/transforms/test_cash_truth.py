"""The cash marts against the simulator's ground truth, through the real pipeline: `cvd demo-data`,
`cvd import master-data`, `cvd import collections` (the demo's counted cash), `cvd materialize`.
Every expectation comes from `truth/cash_collections.parquet`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.orchestration.pipeline import cvd, query
from transforms.cash_flags import CashThresholds, flagged_people

MACHINES, DAYS, SEED = 30, 35, 11
# A collection is matched to the machine's read within this of its time (fct_cash_collections).
MATCH_SECONDS = 3 * 3600


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cash")
    args = ("--machines", str(MACHINES), "--days", str(DAYS), "--seed", str(SEED))
    assert cvd("demo-data", *args, "--home", str(root)) == 0
    assert cvd("db", "upgrade", "--home", str(root)) == 0
    assert cvd("import", "master-data", "--home", str(root)) == 0
    csv = root / "master-data" / "collections.csv"
    assert cvd("import", "collections", str(csv), "--home", str(root)) == 0
    assert cvd("materialize", "--home", str(root)) == 0
    return root


def _truth(home: Path) -> list[dict[str, object]]:
    """Truth rows with `usable`: what the counters can say, decided from the truth alone (the
    box before the run is unknown; a device without CA3; a read that did not arrive usable;
    a device clock more than 3 hours off at this or the previous collection)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""
            WITH t AS (
                SELECT *,
                    abs(epoch(machine_time) - epoch(collected_at)) < {MATCH_SECONDS} AS on_time
                FROM '{home / "truth" / "cash_collections.parquet"}'
            )
            SELECT *, NOT first AND cash_detail AND read_usable AND previous_read_usable
                AND on_time AND lag(on_time) OVER (PARTITION BY serial ORDER BY collected_at)
                AS usable
            FROM t
            """
        ).df()
    finally:
        con.close()
    return rows.to_dict("records")


def test_expected_cash_equals_truth_to_the_cent(home: Path) -> None:
    ours = {
        (serial, str(at)): (expected, counted, variance, status)
        for serial, at, expected, counted, variance, status in query(
            home,
            "SELECT machine_serial, collected_at, CAST(expected_cash * 100 AS BIGINT), "
            "CAST(counted_cash * 100 AS BIGINT), CAST(variance * 100 AS BIGINT), status "
            "FROM fct_cash_collections",
        )
    }
    truth = _truth(home)
    assert len(ours) == len(truth) > 100
    usable = 0
    for t in truth:
        expected, counted, variance, status = ours[(t["serial"], str(t["collected_at"]))]
        assert counted == t["counted_cents"]
        if t["usable"]:
            usable += 1
            assert (expected, variance) == (t["expected_cents"], t["variance_cents"]), t
            sign = (variance > 0) - (variance < 0)
            assert status == {0: "matched", -1: "short", 1: "over"}[sign]
        else:
            assert (expected, status) == (None, "unusable"), t
    assert usable > 0.6 * len(truth)
    # the counter cases the comparison is meant to exercise are really in the data
    bases = {b for (b,) in query(home, "SELECT DISTINCT counter_basis FROM fct_cash_collections")}
    assert {"cumulative", "interval"} <= bases
    assert any(b and "wrap" in b for b in bases)


def test_planted_shrink_driver_and_route_flagged_and_no_clean_one(home: Path) -> None:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        drivers = flagged_people(con, CashThresholds(), "driver")
        routes = flagged_people(con, CashThresholds(), "route_code")
    finally:
        con.close()
    shrink = {(t["driver"], t["route_id"]) for t in _truth(home) if t["cause"] == "shrink"}
    assert len(shrink) == 1
    ((driver, route),) = shrink
    assert set(drivers.loc[drivers["flagged"], "who"]) == {driver}
    assert set(routes.loc[routes["flagged"], "who"]) == {route}
    assert len(drivers) >= 3  # there were clean drivers to flag wrongly


def test_cashless_share_per_machine_from_the_counters(home: Path) -> None:
    rows = query(home, "SELECT cash_sales, cashless_sales, cashless_share "
                 "FROM cashless_share_by_machine")  # fmt: skip
    assert len(rows) == MACHINES
    total_cash = sum(float(r[0]) for r in rows)
    total_cashless = sum(float(r[1]) for r in rows)
    # the simulator's default cashless share of vends is 0.55 (OperationsConfig.cashless_share)
    assert 0.45 < total_cashless / (total_cash + total_cashless) < 0.65


def test_cash_variance_alert_rule_runs_on_the_mart(home: Path) -> None:
    """The alerts rule that waited for fct_cash_collections is evaluated, no longer skipped."""
    rows = query(home, "SELECT count(*) FROM fct_cash_collections WHERE abs(variance) > 20")
    assert rows[0][0] > 0  # the shrink route has shortfalls past the rule's default
    from operations import db
    from operations.permissions import SYSTEM
    from operations.services import alerts

    engine = db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
    try:
        live = [a for a in alerts.list_alerts(engine, SYSTEM) if a.rule == "cash_variance"]
    finally:
        engine.dispose()
    assert live
