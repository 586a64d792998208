"""The gate every assistant query passes before it runs: one read-only SELECT over allowed views.

The check works on DuckDB's own parse of the text (``duckdb.extract_statements`` for the statement
kind, ``json_serialize_sql`` for the tree), never on keywords or regular expressions, so comments,
quoting and case cannot hide a statement. It refuses:

- anything but exactly one statement, and any statement that is not a ``SELECT`` (``WITH`` is a
  ``SELECT``): writes, DDL, ``ATTACH``, ``COPY``, ``INSTALL``/``LOAD``, ``PRAGMA``, ``SET``,
  ``EXPLAIN``, ``DESCRIBE``/``SUMMARIZE``/``SHOW``, ``EXPORT``, ``CALL``;
- every table function (``read_csv``, ``read_parquet``, ``glob``, ``query``, ``duckdb_settings``…)
  except the few that only compute (``range``, ``generate_series``, ``unnest``);
- scalar functions that reach outside the query (``getenv``, ``read_text``…, see ``_FUNCTIONS``);
- a table that is not one of the views the caller's role may see (a ``WITH`` name counts as a
  view of the query itself), and any table named through a schema or catalog.

The runner (:mod:`models.ask.runner`) adds a second wall: the connection is read-only, external
access is off except for the lake, and its configuration is locked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

# Table functions that read no file, setting or catalog: only generate values.
_SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Scalar functions that read the environment, files or settings, or run text as SQL.
_FUNCTIONS = frozenset(
    {
        "getenv",
        "current_setting",
        "read_text",
        "read_blob",
        "query",
        "query_table",
        "sql_auto_complete",
        "json_serialize_sql",
        "json_deserialize_sql",
        "json_execute_serialized_sql",
        "getvariable",
        # pg_catalog macros that look views and constraints up in the catalog by oid: a loop over
        # range() would print every view's SQL, lake paths included.
        "pg_get_viewdef",
        "pg_get_constraintdef",
        "pg_get_expr",
    }
)
MAX_QUERY_CHARS = 20_000


class QueryRefusedError(ValueError):
    """The query may not run; ``str()`` is the message shown to the user."""


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed: its text without the trailing semicolon, the views it reads and its
    ``WITH`` names (the runner refuses one that names a view of its own copy of the warehouse)."""

    sql: str
    views: frozenset[str]
    with_names: frozenset[str] = frozenset()


def check_query(
    sql: str, allowed_views: frozenset[str], catalog_views: frozenset[str] = frozenset()
) -> CheckedQuery:
    """Return the query if it is one ``SELECT`` that reads only ``allowed_views``; else raise
    :class:`QueryRefusedError` naming what is not allowed.

    ``catalog_views`` are all the warehouse's views: a ``WITH`` name may not reuse one, so that a
    name in the query always means the same thing to this check as to DuckDB."""
    text = sql.strip()
    if not text:
        raise QueryRefusedError("The query is empty.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefusedError(f"The query is longer than {MAX_QUERY_CHARS:,} characters.")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryRefusedError(f"The query is not valid SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise QueryRefusedError(
            f"Only one statement may run; this text has {len(statements)}."
            if statements
            else "The query is empty."
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefusedError(f"Only SELECT (or WITH … SELECT) may run, not {kind.name}.")
    tree = _parse_tree(text)
    views = _check_tree(tree, allowed_views, catalog_views | allowed_views | _builtin_views())
    return CheckedQuery(
        sql=text.rstrip().rstrip(";").rstrip(),
        views=frozenset(views),
        with_names=frozenset(name.lower() for name in _cte_names(tree)),
    )


def _parse_tree(text: str) -> dict[str, Any]:
    con = duckdb.connect()
    try:
        row = con.execute("SELECT json_serialize_sql(?)", [text]).fetchone()
    finally:
        con.close()
    try:
        tree: dict[str, Any] = json.loads(row[0]) if row else {"error": True}
    except RecursionError:
        # DuckDB parses up to 1,000 levels of nesting; its tree of that is deeper than Python's
        # JSON decoder goes, which would otherwise end the page or the command with a traceback.
        raise QueryRefusedError("The query is nested too deeply to check.") from None
    if tree.get("error"):
        # DESCRIBE, SUMMARIZE and SHOW parse as SELECT but do not serialize; neither do other
        # statements DuckDB cannot express as a plain query tree.
        message = tree.get("error_message") or "it is not a plain query"
        raise QueryRefusedError(f"Only a plain SELECT may run ({message}).")
    return tree


@cache
def _builtin_views() -> frozenset[str]:
    """The views every DuckDB database has (``duckdb_views``, ``pg_settings``, ``sqlite_master``…),
    named without a schema. A ``WITH`` name may not reuse one either: the CTE's own body, or any
    part of the query outside the CTE's scope, would read DuckDB's view under the same name."""
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT DISTINCT lower(view_name) FROM duckdb_views() WHERE internal")
        return frozenset(name for (name,) in rows.fetchall())
    finally:
        con.close()


def _check_tree(
    tree: dict[str, Any], allowed_views: frozenset[str], catalog_views: frozenset[str]
) -> set[str]:
    ctes = {name.lower() for name in _cte_names(tree)}
    if shadowing := sorted(ctes & catalog_views):
        raise QueryRefusedError(
            f"A WITH name may not reuse the name of the view {shadowing[0]}: choose another name."
        )
    read: set[str] = set()
    for node in _nodes(tree):
        kind = node.get("type")
        if kind == "SHOW_REF":
            raise QueryRefusedError(
                "DESCRIBE, SUMMARIZE and SHOW may not run; ask about a view instead."
            )
        if kind == "BASE_TABLE":
            read.add(_table(node, ctes, allowed_views))
        elif kind == "TABLE_FUNCTION":
            name = _function_name(node.get("function") or {})
            if name not in _SAFE_TABLE_FUNCTIONS:
                raise QueryRefusedError(
                    f"The table function {name}() may not run: only the warehouse views are"
                    " readable."
                )
        elif node.get("class") == "FUNCTION" and _bare_name(node) in _FUNCTIONS:
            # By the bare name: main.current_setting() or pg_catalog.pg_get_viewdef() is the same
            # function as the unqualified one.
            raise QueryRefusedError(f"The function {_function_name(node)}() may not run.")
    return read - ctes


def _table(node: dict[str, Any], ctes: set[str], allowed_views: frozenset[str]) -> str:
    name = str(node.get("table_name", "")).lower()
    schema = str(node.get("schema_name") or "")
    catalog = str(node.get("catalog_name") or "")
    if schema or catalog:
        qualified = ".".join(p for p in (catalog, schema, name) if p)
        raise QueryRefusedError(
            f"{qualified} may not be read: name a warehouse view without a schema."
        )
    if "/" in name or "\\" in name or "." in name:
        raise QueryRefusedError(
            f"Files may not be read ({name}): only the warehouse views are readable."
        )
    if name not in ctes and name not in allowed_views:
        raise QueryRefusedError(f"The view {name} is not one your role may query.")
    return name


def _function_name(function: dict[str, Any]) -> str:
    schema = function.get("schema") or ""
    name = _bare_name(function)
    return f"{schema}.{name}" if schema else name


def _bare_name(function: dict[str, Any]) -> str:
    return str(function.get("function_name", "")).lower()


def _cte_names(tree: dict[str, Any]) -> Iterator[str]:
    for node in _nodes(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                if isinstance(entry, dict) and "key" in entry:
                    yield str(entry["key"])


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object of the parse tree, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
