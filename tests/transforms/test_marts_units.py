"""fct_slot_sales, the daily spread and the checks on hand-built counter sequences.

Each lake holds one machine, one selection; every expected value is worked out in a comment.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ingest.raw_tables import DayResult
from tests.transforms.raw_rows import add_read, write_day
from transforms.checks import CHECK_SQL, marts_connection, run_check
from transforms.marts import refresh_marts


def _lake(tmp_path: Path, reads: list[dict]) -> Path:  # type: ignore[type-arg]
    """One raw partition: each dict is a read (read_at, optional init_at, reads_since_init)
    with the counters of selection "11" (the other keys)."""
    day = DayResult()
    for n, r in enumerate(reads):
        header = ("init_at", "reads_since_init")  # add_read's defaults unless given
        read_id = add_read(day, n, r["read_at"], **{k: r[k] for k in header if k in r})
        counters = {k: v for k, v in r.items() if k != "read_at" and k not in header}
        day.add(
            "dex_selection_counters",
            read_id=read_id,
            machine_serial="M1",
            read_at=r["read_at"],
            position=1,
            selection="11",
            product_id="P1",
            **counters,
        )
    write_day(tmp_path, day)
    refresh_marts(tmp_path)
    return tmp_path


def _sales(path: Path) -> list[tuple]:  # type: ignore[type-arg]
    con = marts_connection(path)
    try:
        return con.execute(
            "SELECT period_end, units_sold, revenue, counter_basis, test_vends, free_vends "
            "FROM fct_slot_sales ORDER BY period_end"
        ).fetchall()
    finally:
        con.close()


def _daily(path: Path) -> list[tuple]:  # type: ignore[type-arg]
    con = marts_connection(path)
    try:
        return con.execute(
            "SELECT sales_date, sum(units_sold), sum(revenue_minor) FROM fct_daily_sales_parts "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def d(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 2, day, hour)


def test_cumulative_price_change_and_test_vends(tmp_path: Path) -> None:
    # 100 vends / $150.00 at the first read; 5 more at $1.50 and 3 at $1.75 by the second:
    # units 108 - 100 = 8, revenue 162.75 - 150.00 = 12.75 (5 × 1.50 + 3 × 1.75 = 7.50 + 5.25:
    # never count × price); one test vend 2 - 1 = 1
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 100, "paid_value_total": Decimal("150.00"),
             "test_vends_total": 1},
            {"read_at": d(3), "paid_vends_total": 108, "paid_value_total": Decimal("162.75"),
             "test_vends_total": 2},
        ],
    )  # fmt: skip
    assert _sales(path) == [(d(3), 8, Decimal("12.75"), "cumulative", 1, 0)]


def test_first_read_opens_no_interval_and_missing_read_is_covered(tmp_path: Path) -> None:
    # reads on day 1, (day 2 quarantined: not in the lake), day 3: one interval 1 → 3 of
    # 20 - 10 = 10 units, $30.00 - $15.00 = $15.00
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 10, "paid_value_total": Decimal("15.00")},
            {"read_at": d(3), "paid_vends_total": 20, "paid_value_total": Decimal("30.00")},
        ],
    )
    assert [row[:4] for row in _sales(path)] == [(d(3), 10, Decimal("15.00"), "cumulative")]


def test_restart_uses_the_end_read_counters(tmp_path: Path) -> None:
    # the board is replaced after the first read: EA4 changes, PA201 restarts at 0 and reads 4
    # at the second read: 4 units, $6.00 (not 4 - 500)
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 500, "paid_value_total": Decimal("750.00")},
            {"read_at": d(2), "init_at": d(1, 11), "reads_since_init": 1,
             "paid_vends_total": 4, "paid_value_total": Decimal("6.00")},
        ],
    )  # fmt: skip
    assert [row[:4] for row in _sales(path)] == [(d(2), 4, Decimal("6.00"), "restart")]


def test_restart_without_ea4_is_told_by_the_read_counter(tmp_path: Path) -> None:
    # no EA4 at all, but EA301 falls from 40 to 1: a restart, 3 units, $4.50
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "init_at": None, "reads_since_init": 40,
             "paid_vends_total": 90, "paid_value_total": Decimal("135.00")},
            {"read_at": d(2), "init_at": None, "reads_since_init": 1,
             "paid_vends_total": 3, "paid_value_total": Decimal("4.50")},
        ],
    )  # fmt: skip
    assert [row[:4] for row in _sales(path)] == [(d(2), 3, Decimal("4.50"), "restart")]


def test_wrap_adds_the_field_modulus(tmp_path: Path) -> None:
    # same board, EA301 rising: PA201 65,530 → 4 is 65,536 - 65,530 + 4 = 10 units;
    # PA202 999,990.00 → 5.00 (8 digits of cents wrap at 1,000,000.00): 1,000,000.00 - 999,990.00
    # + 5.00 = 15.00
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 65530, "paid_value_total": Decimal("999990.00")},
            {"read_at": d(2), "paid_vends_total": 4, "paid_value_total": Decimal("5.00")},
        ],
    )
    assert [row[:4] for row in _sales(path)] == [(d(2), 10, Decimal("15.00"), "wrap")]


def test_interval_only_device_uses_pa203_pa204(tmp_path: Path) -> None:
    # no PA201/PA202: the end read's PA203/PA204 are the interval's sales: 7 units, $12.25;
    # the first read's 99 belong to an earlier, unseen interval
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_since_reset": 99, "paid_value_since_reset": Decimal("1")},
            {"read_at": d(2), "paid_vends_since_reset": 7,
             "paid_value_since_reset": Decimal("12.25")},
        ],
    )  # fmt: skip
    assert [row[:4] for row in _sales(path)] == [(d(2), 7, Decimal("12.25"), "interval")]


def test_read_without_time_is_left_out(tmp_path: Path) -> None:
    # the middle read has no read time: intervals 1 → 3 only, 30 - 10 = 20 units
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 10, "paid_value_total": Decimal("10")},
            {"read_at": None, "paid_vends_total": 15, "paid_value_total": Decimal("15")},
            {"read_at": d(3), "paid_vends_total": 30, "paid_value_total": Decimal("30")},
        ],
    )
    assert [row[:2] for row in _sales(path)] == [(d(3), 20)]


def test_daily_spread_is_whole_and_adds_up(tmp_path: Path) -> None:
    # day 1 10:00 → day 4 10:00 (three days), 10 units, $17.00: with no other interval the
    # profile is flat, so each of the 4 calendar days gets its hours' share: 14 h, 24 h, 24 h,
    # 10 h of 72 → 1.94, 3.33, 3.33, 1.39 units: floors 1+3+3+1 = 8, the two largest
    # remainders (0.94 on day 1, 0.39 on day 4) get one more → 2, 3, 3, 2; cents
    # 1700 × 14/72 = 330.56, 566.67, 566.67, 236.11 → floors 330+566+566+236 = 1698, +1 to
    # the two largest remainders (0.67 on days 2 and 3) → 330, 567, 567, 236
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 0, "paid_value_total": Decimal("0")},
            {"read_at": d(4), "paid_vends_total": 10, "paid_value_total": Decimal("17.00")},
        ],
    )
    days = [(row[0].day, row[1], row[2]) for row in _daily(path)]
    assert days == [(1, 2, 330), (2, 3, 567), (3, 3, 567), (4, 2, 236)]
    assert run_check(path, "daily_totals_equal_interval_totals") == 0


def test_checks_catch_broken_marts(tmp_path: Path) -> None:
    path = _lake(
        tmp_path,
        [
            {"read_at": d(1), "paid_vends_total": 5, "paid_value_total": Decimal("5")},
            {"read_at": d(2), "paid_vends_total": 9, "paid_value_total": Decimal("9")},
        ],
    )
    for name in CHECK_SQL:
        assert run_check(path, name) == 0, name
    con = marts_connection(path)
    try:
        # a negative interval, a day that lost a unit, a read counted twice
        bad = {
            "no_negative_sales": "SELECT * REPLACE (-1 AS units_sold) FROM fct_slot_sales",
            "daily_totals_equal_interval_totals": "SELECT * REPLACE (units_sold + 1 AS "
            "units_sold) FROM fct_slot_sales",
            "every_read_in_exactly_one_interval": "SELECT * FROM fct_slot_sales UNION ALL "
            "SELECT * FROM fct_slot_sales",
        }
        for name, sql in bad.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE broken AS {sql}")
            offending = con.execute(
                CHECK_SQL[name].replace("FROM fct_slot_sales", "FROM broken")
            ).fetchall()[0][0]
            assert offending > 0, name
    finally:
        con.close()
