"""The guard: what may run and what is refused before it runs, with the reason the user sees.

Every case is a query a hostile or careless user (or a model) could send; the expected verdict is
the rule of the issue: one SELECT or WITH, over the views the role may see, nothing else."""

from __future__ import annotations

import pytest

from models.ask import policy
from models.ask.guard import QueryRefusedError, check_query
from transforms.catalog import CATALOG

CATALOG_VIEWS = frozenset(view for _, view in CATALOG)
VIEWER = policy.views_for("viewer", CATALOG)
MANAGER = policy.views_for("manager", CATALOG)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("INSERT INTO products VALUES ('P9', 'x', 'y', 1, 1, 'S')", "not INSERT"),
        ("UPDATE products SET price_cents = 0", "not UPDATE"),
        ("DELETE FROM products", "not DELETE"),
        ("CREATE TABLE t AS SELECT 1", "not CREATE"),
        ("DROP VIEW products", "not DROP"),
        ("ALTER VIEW products RENAME TO p", "not ALTER"),
        ("ATTACH '/tmp/other.db' AS other", "not ATTACH"),
        ("DETACH other", "not DETACH"),
        ("COPY products TO '/tmp/products.csv'", "not COPY"),
        ("COPY (SELECT 1) TO '/tmp/x.parquet' (FORMAT parquet)", "not COPY"),
        ("EXPORT DATABASE '/tmp/everything'", "not EXPORT"),
        ("INSTALL httpfs", "not LOAD"),
        ("LOAD httpfs", "not LOAD"),
        ("PRAGMA database_list", "not PRAGMA"),
        ("SET enable_external_access = true", "not SET"),
        ("RESET enable_external_access", "not SET"),
        ("CALL pragma_version()", "not CALL"),
        ("CHECKPOINT", "not CALL"),
        ("EXPLAIN SELECT * FROM products", "not EXPLAIN"),
        ("DESCRIBE products", "DESCRIBE, SUMMARIZE and SHOW"),
        ("SUMMARIZE products", "DESCRIBE, SUMMARIZE and SHOW"),
        ("SHOW TABLES", "DESCRIBE, SUMMARIZE and SHOW"),
        ("SELECT 1; SELECT 2", "Only one statement"),
        ("SELECT * FROM products; DROP VIEW products", "Only one statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto()"),
        ("SELECT * FROM read_parquet('/tmp/x.parquet')", "read_parquet()"),
        ("SELECT * FROM read_json('/tmp/x.json')", "read_json()"),
        ("SELECT * FROM read_text('/etc/hostname')", "read_text()"),
        ("SELECT * FROM glob('/root/*')", "glob()"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings()"),
        ("SELECT * FROM query('SELECT * FROM dex_files')", "query()"),
        ("SELECT * FROM '/etc/passwd'", "Files may not be read"),
        ("SELECT * FROM 'data/cvd.sqlite'", "Files may not be read"),
        ("SELECT getenv('ANTHROPIC_API_KEY')", "getenv()"),
        ("SELECT current_setting('allowed_directories')", "current_setting()"),
        ("SELECT * FROM products p, LATERAL (SELECT * FROM read_parquet('x'))", "read_parquet()"),
        ("SELECT * FROM main.products", "name a warehouse view without a schema"),
        ("SELECT * FROM information_schema.tables", "name a warehouse view without a schema"),
        ("SELECT * FROM other.main.products", "name a warehouse view without a schema"),
        ("SELECT * FROM dex_files", "not one your role may query"),
        ("SELECT * FROM quarantine", "not one your role may query"),
        ("SELECT * FROM audit_log", "not one your role may query"),
        ("SELECT * FROM products WHERE product_id IN (SELECT sha256 FROM dex_files)", "dex_files"),
        ("WITH dex_files AS (SELECT 1 AS x) SELECT * FROM dex_files", "may not reuse the name"),
        # A CTE's body, or the query outside a nested CTE's scope, reads DuckDB's own view of
        # the same name: the view SQL of every warehouse view (lake paths), the settings.
        (
            "WITH duckdb_views AS (SELECT * FROM duckdb_views) SELECT sql FROM duckdb_views",
            "may not reuse the name of the view duckdb_views",
        ),
        (
            "SELECT * FROM (WITH pg_settings AS (SELECT 1) SELECT * FROM pg_settings) a,"
            " pg_settings b",
            "may not reuse the name of the view pg_settings",
        ),
        # A schema in front of a function name is the same function.
        ("SELECT main.current_setting('allowed_directories')", "main.current_setting()"),
        ("SELECT system.main.current_setting('memory_limit')", "current_setting()"),
        ("SELECT pg_catalog.pg_get_viewdef(i) FROM range(5000) t(i)", "pg_get_viewdef()"),
        ("SELECT pg_get_viewdef(i) FROM range(5000) t(i)", "pg_get_viewdef()"),
        ("SELECT getvariable('x')", "getvariable()"),
        # Nesting DuckDB parses but Python's JSON decoder cannot follow: a clear refusal.
        ("SELECT " + "abs(" * 900 + "1" + ")" * 900, "nested too deeply"),
        ("SELECT 1" + " + 1" * 900, "nested too deeply"),
        ("SELECT * FROM " + "(SELECT * FROM " * 900 + "products" + ")" * 900, "nested too deeply"),
        ("", "empty"),
        ("   ;  ", "empty"),
        ("Show me the best machines please", "not valid SQL"),
    ],
)
def test_refused_before_it_runs(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefusedError) as refused:
        check_query(sql, VIEWER, CATALOG_VIEWS)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("sql", "views"),
    [
        ("SELECT * FROM products", {"products"}),
        ("select p.name from products p join routes r on true limit 3;", {"products", "routes"}),
        ("FROM slot_status WHERE sold_out", {"slot_status"}),
        (
            "WITH week AS (SELECT * FROM fct_daily_sales) SELECT count(*) FROM week",
            {"fct_daily_sales"},
        ),
        ("SELECT * FROM range(10)", set()),
        ("SELECT * FROM (WITH q AS (SELECT 1 AS x) SELECT * FROM q), products", {"products"}),
        ("SELECT /* ; DROP VIEW products */ 1", set()),
        ("SELECT 'DROP VIEW products; ATTACH x' AS text", set()),
    ],
)
def test_one_select_over_allowed_views_passes(sql: str, views: set[str]) -> None:
    assert check_query(sql, VIEWER, CATALOG_VIEWS).views == views


def test_the_trailing_semicolon_is_dropped() -> None:
    assert check_query("SELECT 1 ;  ", VIEWER).sql == "SELECT 1"


def test_raw_tables_are_for_managers_and_admins() -> None:
    raw = {view for folder, view in CATALOG if folder == "raw"}
    assert raw and not raw & VIEWER
    assert raw <= MANAGER
    assert check_query("SELECT count(*) FROM dex_files", MANAGER).views == {"dex_files"}
    assert policy.views_for("admin", CATALOG) == CATALOG_VIEWS
    assert policy.views_for("driver", CATALOG) == frozenset()
