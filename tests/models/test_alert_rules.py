"""Each alert rule on a small hand-made warehouse (a real DuckDB file) with the expected findings
worked out by hand in the comments; the rules config file's errors name the file and key."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from models.alerts.config import AlertRules, AlertRulesError, load_alert_rules
from models.alerts.evaluate import Inputs, RunRecord, evaluate

NOW = datetime(2024, 3, 6, 10, 0, tzinfo=UTC)  # a Wednesday; the fleet clock says the same

TABLES = """
CREATE TABLE fleet_clock AS SELECT TIMESTAMP '2024-03-06 10:00:00' AS as_of;
CREATE TABLE devices (dex_serial VARCHAR, route_id VARCHAR, service_days VARCHAR);
INSERT INTO devices VALUES ('M1', 'R1', '1000100'), ('M2', 'R2', NULL), ('M3', NULL, NULL);
CREATE TABLE service_plan (plan_date DATE, route_id VARCHAR, machine_serial VARCHAR);
INSERT INTO service_plan VALUES ('2024-03-07', 'R2', 'M2'), ('2024-03-01', 'R1', 'M1');
CREATE TABLE slot_status (machine_serial VARCHAR, selection VARCHAR, product_id VARCHAR,
    sold_out BOOLEAN, days_until_sold_out DOUBLE, est_units_left DOUBLE, last_read_at TIMESTAMP);
INSERT INTO slot_status VALUES
    ('M1', 's1', 'P1', true, 0.0, 0, '2024-03-05'),
    ('M1', 's2', 'P2', false, 0.5, 1, '2024-03-05'),
    ('M1', 's3', 'P3', false, 1.0, 2, '2024-03-05'),
    ('M1', 's4', 'P3', false, 1.5, 3, '2024-03-05'),
    ('M1', 's5', 'P4', false, 3.0, 4, '2024-03-05'),
    ('M2', 'a', 'P1', false, 0.2, 1, '2024-03-05'),
    ('M2', 'b', 'P2', false, 0.4, 1, '2024-03-05'),
    ('M2', 'c', 'P2', false, 0.5, 1, '2024-03-05'),
    ('M2', 'd', 'P2', false, NULL, 5, '2024-03-05'),
    ('M3', 'x', 'P9', true, 0.0, 0, '2024-03-05'),
    ('M3', 'y', 'P2', false, 6.0, 5, '2024-03-05'),
    ('M3', 'z', 'P2', false, 6.5, 5, '2024-03-05');
CREATE TABLE dex_reads (machine_serial VARCHAR, read_at TIMESTAMP);
CREATE TABLE quarantine (sha256 VARCHAR, original_name VARCHAR, reason VARCHAR,
    quarantined_at TIMESTAMPTZ);
"""


def _warehouse(tmp_path: Path, extra: str = "") -> duckdb.DuckDBPyConnection:
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(TABLES + extra)
    con.close()
    return duckdb.connect(str(path), read_only=True)


def _found(con: duckdb.DuckDBPyConnection, rule: str, **inputs: object) -> dict[str, object]:
    result = evaluate(con, AlertRules(core_products=("P1",)), Inputs(now=NOW, **inputs))  # type: ignore[arg-type]  # test inputs
    return {f.subject: f for f in result.findings if f.rule == rule}


def test_core_product_sold_out(tmp_path: Path) -> None:
    # P1 is core: M1 s1 is sold out; M2 a holds P1 but is not sold out; M3 x is sold out, not core
    assert set(_found(_warehouse(tmp_path), "core_sold_out")) == {"M1 s1"}


def test_sellout_before_next_visit(tmp_path: Path) -> None:
    # M1: next service day Fri 03-08 00:00 = 1.583 days away; s2 0.5, s3 1.0, s4 1.5 < it (3 slots)
    # M2: planned 03-07 00:00 = 0.583 days; a 0.2, b 0.4, c 0.5 (3 slots; d no prediction)
    # M3: no plan, no service days: 7 days; y 6.0 and z 6.5 are only 2 slots (< 3)
    found = _found(_warehouse(tmp_path), "sellout_before_visit")
    assert set(found) == {"M1", "M2"}
    assert found["M1"].details["selections"] == "s2, s3, s4"  # type: ignore[attr-defined]
    assert str(found["M2"].details["visit_date"]) == "2024-03-07"  # type: ignore[attr-defined]


def test_cash_variance_latest_collection_past_threshold(tmp_path: Path) -> None:
    # M1's latest collection is off by 5 (its older -50 no longer counts); M2's latest by -25
    con = _warehouse(
        tmp_path,
        "CREATE TABLE fct_cash_collections (machine_serial VARCHAR, collected_at TIMESTAMP,"
        " variance DECIMAL(10, 2)); INSERT INTO fct_cash_collections VALUES"
        " ('M1', '2024-03-01', -50), ('M1', '2024-03-05', 5), ('M2', '2024-03-04', -25);",
    )
    found = _found(con, "cash_variance")
    assert set(found) == {"M2"} and found["M2"].route == "R2"  # type: ignore[attr-defined]


def test_cash_variance_skipped_while_the_cash_view_is_missing(tmp_path: Path) -> None:
    result = evaluate(_warehouse(tmp_path), AlertRules(), Inputs(now=NOW))
    assert "cash_variance" not in result.evaluated
    assert "issue 18" in result.skipped["cash_variance"]


@pytest.mark.parametrize(("trailing_per_day", "spike"), [(0, True), (3, False), (1, True)])
def test_quarantine_spike_against_the_trailing_median(
    tmp_path: Path, trailing_per_day: int, spike: bool
) -> None:
    # today 6 files; the 14 days before hold `trailing_per_day` files on each of days 1..14:
    # median 0 -> spike; median 3 -> needs > 9; median 1 -> needs > 3
    rows = [
        f"('t{n}', 'f', 'crc_mismatch', TIMESTAMPTZ '2024-03-06 08:00:00+00')" for n in range(6)
    ]
    rows += [
        f"('d{d}-{n}', 'f', 'no_reads', TIMESTAMPTZ '2024-03-06 08:00:00+00' - INTERVAL {d} DAY)"
        for d in range(1, 15)
        for n in range(trailing_per_day)
    ]
    con = _warehouse(tmp_path, "INSERT INTO quarantine VALUES " + ", ".join(rows) + ";")
    assert ("2024-03-06" in _found(con, "quarantine_spike")) is spike


def test_nightly_run_failed_and_late(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    runs = [
        RunRecord("ok", "SUCCESS", NOW - timedelta(hours=30)),
        RunRecord("bad", "FAILURE", NOW - timedelta(hours=2)),
        RunRecord("running", "STARTED", None),
    ]
    assert set(_found(con, "nightly_run", nightly_runs=runs)) == {"failed", "late"}
    fresh = [RunRecord("ok", "SUCCESS", NOW - timedelta(hours=3))]
    assert _found(con, "nightly_run", nightly_runs=fresh) == {}


def test_warehouse_older_than_the_limit(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    path = tmp_path / "warehouse.duckdb"
    old = (NOW - timedelta(hours=27)).timestamp()
    os.utime(path, (old, old))
    assert set(_found(con, "warehouse_age", warehouse_path=path)) == {"warehouse"}
    recent = (NOW - timedelta(hours=25)).timestamp()
    os.utime(path, (recent, recent))
    assert _found(con, "warehouse_age", warehouse_path=path) == {}


def test_disabled_rules_are_skipped_and_bad_files_name_the_key(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "alerts.toml"
    config.write_text('[alerts]\nsilent_factor = 5\ndisabled = ["nightly_run"]\n')
    rules = load_alert_rules(tmp_path)
    assert (rules.silent_factor, rules.disabled) == (5.0, ("nightly_run",))
    result = evaluate(_warehouse(tmp_path), rules, Inputs(now=NOW, nightly_runs=[]))
    assert result.skipped["nightly_run"] == "disabled in alerts.toml"
    for bad, key in (
        ("silent_factr = 2", "silent_factr"),
        ("silent_factor = -1", "silent_factor"),
        ('disabled = ["nope"]', "disabled"),
        ("x = ", "(file)"),
    ):
        config.write_text(bad)
        with pytest.raises(AlertRulesError, match=re.escape(f"{config}: {key}")):
            load_alert_rules(tmp_path)
