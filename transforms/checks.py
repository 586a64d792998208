"""Invariants of the sales marts, as SQL counting offending rows (0 = the invariant holds).

Plain functions over a DuckDB connection, so tests call them on hand-made lakes and the Dagster
asset checks (``orchestration/defs/marts/checks.py``) call them on the real one.
"""

from __future__ import annotations

import duckdb

from transforms.catalog import file_list
from transforms.derived import source_connection
from transforms.lake import Location
from transforms.marts import FCT_DAILY_SALES_PARTS, MARTS_DIR, model_sql

NO_NEGATIVE_SALES = "no_negative_sales"
DAILY_EQUALS_INTERVAL = "daily_totals_equal_interval_totals"
EVERY_READ_IN_ONE_INTERVAL = "every_read_in_exactly_one_interval"

CHECK_SQL: dict[str, str] = {
    NO_NEGATIVE_SALES: """
        SELECT count(*) FROM fct_slot_sales
        WHERE units_sold < 0 OR revenue < 0 OR test_vends < 0 OR free_vends < 0
           OR test_value < 0 OR free_value < 0 OR units_sold IS NULL OR revenue IS NULL""",
    DAILY_EQUALS_INTERVAL: """
        WITH daily AS (
            SELECT machine_serial, read_id_end, selection_key,
                   sum(units_sold) AS units, sum(revenue_minor) AS minor,
                   any_value(currency_decimals) AS decimals
            FROM fct_daily_sales_parts GROUP BY ALL
        )
        SELECT count(*) FROM fct_slot_sales AS sales
        FULL JOIN daily USING (machine_serial, read_id_end, selection_key)
        WHERE daily.units IS DISTINCT FROM sales.units_sold
           OR daily.minor
              IS DISTINCT FROM CAST(sales.revenue * power(10, daily.decimals) AS BIGINT)""",
    # the chain order is the model's own (sql/build/read_chain.sql), so the two cannot drift
    EVERY_READ_IN_ONE_INTERVAL: """
        WITH {read_chain},
        expected AS (  -- every selection of every placed read but a machine's first ends one
            SELECT counters.read_id,
                coalesce(counters.selection, '#' || counters.position) AS selection_key
            FROM dex_selection_counters AS counters JOIN placed USING (read_id)
            WHERE placed.chain_n > 1
        ),
        ends AS (
            SELECT read_id_end AS read_id, selection_key, count(*) AS intervals
            FROM fct_slot_sales GROUP BY ALL
        ),
        starts AS (
            SELECT read_id_start, selection_key, count(*) AS intervals
            FROM fct_slot_sales GROUP BY ALL HAVING count(*) > 1
        )
        SELECT (SELECT count(*) FROM expected FULL JOIN ends USING (read_id, selection_key)
                WHERE ends.intervals IS DISTINCT FROM 1 OR expected.read_id IS NULL)
             + (SELECT count(*) FROM starts)""".replace("{read_chain}", model_sql("read_chain")),
}


def marts_connection(lake: Location) -> duckdb.DuckDBPyConnection:
    """Raw views plus the materialized marts, read straight from the lake: the derived marts'
    sources (with the catalog's ``fct_slot_sales`` view) and ``fct_daily_sales_parts``, which
    has no catalog view."""
    con = source_connection(lake)
    files = file_list(lake, f"{MARTS_DIR}/{FCT_DAILY_SALES_PARTS}")
    # the table name is our constant and the file list is quoted by file_list
    con.execute(
        f"CREATE VIEW {FCT_DAILY_SALES_PARTS} AS "  # noqa: S608
        f"SELECT * FROM read_parquet({files}, union_by_name = true)"
    )
    return con


def run_check(lake: Location, name: str) -> int:
    """Rows breaking the invariant ``name`` (a key of ``CHECK_SQL``) in the whole marts."""
    con = marts_connection(lake)
    try:
        row = con.execute(CHECK_SQL[name]).fetchall()
    finally:
        con.close()
    return int(row[0][0]) if row and row[0][0] is not None else 0
