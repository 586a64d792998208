"""The sandbox's resource caps, on a small warehouse of its own (a real DuckDB file over a Parquet
lake): a query that passes the guard still cannot take the machine's memory or spill to disk."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.ask.guard import check_query
from models.ask.runner import QueryFailedError, run_query, sandboxed_connection


@pytest.fixture
def warehouse(tmp_path: Path) -> tuple[Path, Path]:
    lake = tmp_path / "lake"
    lake.mkdir()
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute(f"COPY (SELECT 'P1' AS product_id) TO '{lake / 'products.parquet'}'")
        con.execute(
            f"CREATE VIEW products AS SELECT * FROM read_parquet('{lake / 'products.parquet'}')"
        )
    finally:
        con.close()
    return path, lake


def test_a_query_past_the_memory_limit_fails_instead_of_taking_the_machine(
    warehouse: tuple[Path, Path],
) -> None:
    # 30 million BIGINTs in one list are 240 MB before any overhead: far past 64 MB.
    query = check_query("SELECT length(list(i)) AS n FROM range(30000000) t(i)", frozenset())
    with pytest.raises(QueryFailedError, match=r"(?i)out of memory"):
        run_query(query, *warehouse, memory_limit="64MB")


def test_the_caps_cannot_be_raised_and_nothing_spills_outside_the_lake(
    warehouse: tuple[Path, Path],
) -> None:
    path, lake = warehouse
    con = sandboxed_connection(path, lake, memory_limit="64MB", threads=1)
    try:
        for sql in ("SET memory_limit = '100GB'", "SET threads = 64", "SET temp_directory = '/'"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        allowed = con.execute("SELECT current_setting('allowed_directories')").fetchone()
        assert allowed == ([lake.resolve().as_posix() + "/"],)
    finally:
        con.close()


def test_a_with_name_may_not_reuse_a_view_the_catalog_does_not_list(
    warehouse: tuple[Path, Path],
) -> None:
    path, lake = warehouse
    con = duckdb.connect(str(path))
    try:  # a view an older build left in the file: not in the catalog the guard was given
        con.execute("CREATE VIEW stale_secrets AS SELECT 'hunter2' AS secret")
    finally:
        con.close()
    sql = (
        "SELECT b.* FROM (WITH stale_secrets AS (SELECT 1 AS x) SELECT * FROM stale_secrets) a,"
        " stale_secrets b"
    )
    query = check_query(sql, frozenset({"products"}), frozenset({"products"}))
    with pytest.raises(QueryFailedError, match="may not reuse the name of the view stale_secrets"):
        run_query(query, path, lake)


def test_a_result_of_huge_rows_stops_inside_duckdb(warehouse: tuple[Path, Path]) -> None:
    # 300 rows of 10 MB each: 3 GB the dashboards' process would hold, past DuckDB's memory limit
    # (which does not cover the rows handed to Python). A trailing comment must not hide the cap.
    query = check_query(
        "SELECT repeat('x', 10000000) AS _cvd_row, 1 AS n FROM range(300) -- the end",
        frozenset(),
    )
    with pytest.raises(QueryFailedError, match="longer than 20,000 characters"):
        run_query(query, *warehouse, memory_limit="256MB")


def test_ordered_rows_with_repeated_column_names_come_back_as_written(
    warehouse: tuple[Path, Path],
) -> None:
    query = check_query(
        "SELECT a.product_id, b.product_id FROM products a, products b,"
        " (SELECT 'x' AS product_id) c ORDER BY 1",
        frozenset({"products"}),
    )
    frame = run_query(query, *warehouse).frame
    assert len(set(frame.columns)) == 2  # the wrapper keeps both columns, under two names
    assert frame.values.tolist() == [["P1", "P1"]]
