"""fct_daily_sales stored by month of sale: a late read re-sums only the months it touches.

One machine, one selection, hand-built reads (cumulative PA201/PA202 at $1.50 a vend):
Dec 1 (90 vends), Jan 10 (100), Jan 30 (110), Feb 2 (120), Mar 20 (130): 40 units, $60.00.
Intervals by end month: Jan (Dec 1 → Jan 10, Jan 10 → Jan 30), Feb (Jan 30 → Feb 2), Mar
(Feb 2 → Mar 20), so the days sold run from Dec 1 to Mar 20 (sales months Dec to Mar).
A late file then brings a read of Feb 1 (115): end months Feb and Mar are rebuilt, whose days
run from Jan 30 to Mar 20: sales months Jan, Feb and Mar are summed again, December is not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.raw_tables import DayResult
from tests.transforms.raw_rows import write_day
from transforms import lake
from transforms.checks import marts_connection
from transforms.derived import FCT_DAILY_SALES, dataset, derived_sql, refresh_derived
from transforms.marts import refresh_marts

INIT = datetime(2024, 11, 1)


def _arrive(root: Path, day: str, reads: list[tuple[datetime, int, int]]) -> None:
    """One raw arrival-day partition: reads of machine M1 as (read_at, PA201, EA301)."""
    result = DayResult()
    for read_at, vends, count in reads:
        read_id = f"{day}:{count}"
        common = {"read_id": read_id, "machine_serial": "M1", "read_at": read_at}
        result.add("dex_reads", **common, sha256=f"s{day}{count}", read_index=0,
                   init_at=INIT, reads_since_init=count, currency="USD", decimals=2,
                   received_at=datetime.fromisoformat(day).replace(tzinfo=UTC))  # fmt: skip
        result.add("dex_selection_counters", **common, position=1, selection="11",
                   product_id="P1", paid_vends_total=vends,
                   paid_value_total=Decimal(vends) * Decimal("1.50"))  # fmt: skip
    write_day(root, result, day)


def _stored(root: Path) -> list[tuple]:  # type: ignore[type-arg]
    """The live versions of the stored months, day by day."""
    live = [f.as_posix() for f in lake.current_files(dataset(root, FCT_DAILY_SALES))]
    con = duckdb.connect()
    try:
        return con.execute(
            "SELECT sales_date, units_sold, revenue, intervals FROM read_parquet($f) ORDER BY 1",
            {"f": live},
        ).fetchall()
    finally:
        con.close()


def _summed_from_parts(root: Path) -> list[tuple]:  # type: ignore[type-arg]
    """Every day summed again from the current parts (the derived SQL over all days)."""
    con = marts_connection(root)
    try:
        sql = derived_sql(FCT_DAILY_SALES, root)
        return con.execute(
            f"SELECT sales_date, units_sold, revenue, intervals FROM ({sql}) ORDER BY 1",
            {"first": datetime(1900, 1, 1).date(), "until": datetime(2100, 1, 1).date()},
        ).fetchall()
    finally:
        con.close()


def test_late_read_resums_only_the_months_it_touches(tmp_path: Path) -> None:
    _arrive(tmp_path, "2025-03-21", [
        (datetime(2024, 12, 1, 10), 90, 1), (datetime(2025, 1, 10, 10), 100, 2),
        (datetime(2025, 1, 30, 10), 110, 3), (datetime(2025, 2, 2, 10), 120, 5),
        (datetime(2025, 3, 20, 10), 130, 6),
    ])  # fmt: skip
    refresh_marts(tmp_path)
    full = refresh_derived(tmp_path, whole=())
    assert full.sales_months == ["2024-12", "2025-01", "2025-02", "2025-03"]
    december = lake.current_files(dataset(tmp_path, FCT_DAILY_SALES) / "sales_month=2024-12")
    assert december  # its buckets
    days = _stored(tmp_path)
    assert sum(r[1] for r in days) == 40  # 130 - 90 vends
    assert sum(r[2] for r in days) == Decimal("60.00")  # 40 × $1.50
    assert (days[0][0].isoformat(), days[-1][0].isoformat()) == ("2024-12-01", "2025-03-20")

    nothing = refresh_derived(tmp_path, whole=())  # no part changed: nothing summed again
    assert nothing.sales_months == []

    _arrive(tmp_path, "2025-03-22", [(datetime(2025, 2, 1, 10), 115, 4)])  # the late read
    refresh_marts(tmp_path, ["2025-03-22"])
    late = refresh_derived(tmp_path, whole=())
    assert late.sales_months == ["2025-01", "2025-02", "2025-03"]
    assert lake.current_files(dataset(tmp_path, FCT_DAILY_SALES) / "sales_month=2024-12") == (
        december
    )
    days = _stored(tmp_path)
    assert sum(r[1] for r in days) == 40 and sum(r[2] for r in days) == Decimal("60.00")
    # Feb 1 now holds the end of Jan 30 → Feb 1 and the start of Feb 1 → Feb 2
    assert [r[3] for r in days if r[0].isoformat() == "2025-02-01"] == [2]
    # the stored months equal the parts summed whole, day by day: no month left stale
    assert days == _summed_from_parts(tmp_path)
