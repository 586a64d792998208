"""Read-only warehouse access for the pages, and the operational database engine.

Every warehouse read of every page goes through :func:`query`: it runs
``dashboards/sql/<name>.sql`` with named parameters (``$param``) on a short-lived read-only
DuckDB connection. The warehouse file is replaced by rename at each materialization, so a
connection is opened per query and closed at once (never held, never blocking a writer).

Each ``.sql`` file starts with a header declaring its parameters and their defaults, e.g.
``-- params: machine_serial='' days=28 products=[]`` (strings in single quotes, integers,
decimals, ``NULL``, ``[]`` for a list of strings). :func:`declared_params` parses it; the
defaults fill what a caller leaves out, and ``bench/dashboard.py`` times every file with them.

Results are cached with ``st.cache_data`` keyed by (file, parameters, warehouse path and
modification time): a new materialization is seen at the next rerun. Call :func:`clear_caches`
after any write.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from operations import db as operations_db
from orchestration.settings import Settings, load_settings
from transforms.catalog import open_warehouse

SQL_DIR = Path(__file__).resolve().parent / "sql"
_HEADER = re.compile(r"^--\s*params:(?P<params>.*)$", re.MULTILINE)
_PARAM = re.compile(r"(?P<name>[a-z_][a-z0-9_]*)=(?P<value>'[^']*'|\[\]|\S+)")
CACHE_SECONDS = 600


class WarehouseMissingError(RuntimeError):
    """The warehouse file does not exist yet (nothing materialized)."""


def settings() -> Settings:
    """Settings from the environment (``CVD_HOME``, ``CVD_DATABASE_URL``)."""
    return load_settings()


def sql_names() -> list[str]:
    """Names of every query file (``dashboards/sql/<name>.sql``)."""
    return sorted(path.stem for path in SQL_DIR.glob("*.sql"))


def sql_text(name: str) -> str:
    """The SQL of query ``name``; ``ValueError`` for a name that is not a query file."""
    if not re.fullmatch(r"[a-z0-9_]+", name) or not (SQL_DIR / f"{name}.sql").is_file():
        raise ValueError(f"no query named {name!r} in {SQL_DIR}")
    return (SQL_DIR / f"{name}.sql").read_text()


def _parse_value(name: str, raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1]
    if raw == "[]":
        return []
    if raw == "NULL":
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    raise ValueError(f"parameter {name}: default {raw!r} is not 'text', a number, [] or NULL")


def parse_header(sql: str) -> dict[str, Any]:
    """The parameters a query declares in its ``-- params:`` line, with their defaults."""
    match = _HEADER.search(sql)
    if match is None:
        return {}
    return {
        m["name"]: _parse_value(m["name"], m["value"]) for m in _PARAM.finditer(match["params"])
    }


def declared_params(name: str) -> dict[str, Any]:
    """Defaults of query ``name``'s declared parameters."""
    return parse_header(sql_text(name))


def _bind(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    sql = sql_text(name)
    defaults = parse_header(sql)
    unknown = set(params) - set(defaults)
    if unknown:
        raise ValueError(f"query {name}: undeclared parameters {sorted(unknown)}")
    merged = {**defaults, **params}
    used = {key: merged[key] for key in defaults if f"${key}" in sql}
    return sql, used


def run_query(warehouse: Path, name: str, **params: Any) -> pd.DataFrame:
    """Run query ``name`` on ``warehouse`` now, without the cache (benchmarks, tests)."""
    sql, bound = _bind(name, params)
    if not warehouse.is_file():
        raise WarehouseMissingError(f"no warehouse at {warehouse} yet: run `cvd materialize`")
    # the lake its views read: a registered filesystem where it is in object storage
    con = open_warehouse(warehouse, settings().lake)
    try:
        return con.execute(sql, bound).df()
    finally:
        con.close()


@st.cache_data(ttl=CACHE_SECONDS, max_entries=512, show_spinner=False)
def _cached(
    warehouse: str, mtime_ns: int, name: str, params: tuple[tuple[str, Any], ...]
) -> pd.DataFrame:
    del mtime_ns  # part of the cache key only
    return run_query(
        Path(warehouse), name, **{k: list(v) if isinstance(v, tuple) else v for k, v in params}
    )


def query(name: str, **params: Any) -> pd.DataFrame:
    """Rows of ``dashboards/sql/<name>.sql`` with ``params`` (defaults from its header)."""
    warehouse = settings().warehouse
    try:
        mtime = warehouse.stat().st_mtime_ns
    except FileNotFoundError:
        raise WarehouseMissingError(
            f"no warehouse at {warehouse} yet: run `cvd materialize`"
        ) from None
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _cached(str(warehouse), mtime, name, frozen)


def clear_caches() -> None:
    """Forget every cached query result (call after any write)."""
    _cached.clear()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return operations_db.connect(url)


def ops_db() -> Engine:
    """The operational database engine (one per URL per server process)."""
    return _engine(settings().database_url)


def warehouse_age_seconds() -> float | None:
    """Seconds since the warehouse was last rebuilt, or None if it does not exist."""
    try:
        return time.time() - settings().warehouse.stat().st_mtime
    except FileNotFoundError:
        return None
