"""The cash variance rules: which collections, drivers, routes and machines to look at.

Thresholds come from ``$CVD_HOME/config/cash.toml`` (top level or a ``[cash]`` table; every key
optional; the edge passes the path); the rules are SQL in ``sql/cash_rules/`` run on any DuckDB
connection that has ``fct_cash_collections`` (the warehouse, read-only).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import duckdb

from transforms.catalog import SQL_DIR

RULES_DIR = SQL_DIR / "cash_rules"


class CashConfigError(ValueError):
    """The cash configuration file is unreadable or has an unknown key or a bad value."""


@dataclass(frozen=True)
class CashThresholds:
    """When a variance counts (both thresholds) and when a pattern of them does."""

    variance_abs: float = 5.0  # currency units, either way
    variance_share: float = 0.03  # of the expected cash, either way
    min_flags: int = 3  # flagged shortfalls before a driver or route is flagged ...
    flag_share: float = 0.2  # ... and their share of the reconciled collections
    repeat_shortfalls: int = 3  # flagged shortfalls that put a machine on the list


def load_thresholds(path: Path) -> CashThresholds:
    """The thresholds of ``path`` (defaults where absent, or when the file does not exist)."""
    if not path.is_file():
        return CashThresholds()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CashConfigError(f"{path}: {exc}") from exc
    section = data.get("cash", data)
    known = {f.name: f for f in fields(CashThresholds)}
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in known:
            raise CashConfigError(f"{path}: unknown key {key!r} (known: {', '.join(known)})")
        want = int if known[key].type == "int" else float
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise CashConfigError(f"{path}: {key} must be a number not below 0, not {value!r}")
        if want is int and not isinstance(value, int):
            raise CashConfigError(f"{path}: {key} must be a whole number, not {value!r}")
        values[key] = want(value)
    return CashThresholds(**values)


def rule_sql(name: str, **parts: str) -> str:
    """The SQL of rule ``name``, with ``{flagged_collections}`` and ``parts`` filled in."""
    text = (RULES_DIR / f"{name}.sql").read_text()
    inner = (RULES_DIR / "flagged_collections.sql").read_text()
    return text.replace("{flagged_collections}", inner).format_map(_Keep(parts))


class _Keep(dict[str, str]):
    """format_map mapping that leaves unknown ``{...}`` alone (there are none in the rules)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _params(t: CashThresholds, names: tuple[str, ...]) -> dict[str, object]:
    return {n: getattr(t, n) for n in names}


def flagged_collections(con: duckdb.DuckDBPyConnection, t: CashThresholds) -> Any:
    """Every collection with ``flagged`` (a pandas DataFrame), newest first."""
    sql = rule_sql("flagged_collections") + " ORDER BY collected_at DESC"
    return con.execute(sql, _params(t, ("variance_abs", "variance_share"))).df()


def flagged_people(con: duckdb.DuckDBPyConnection, t: CashThresholds, who: str) -> Any:
    """Per driver (``who="driver"``) or route (``"route_code"``): flagged shortfalls and
    ``flagged`` for a pattern (a pandas DataFrame)."""
    if who not in ("driver", "route_code"):
        raise ValueError(f"who must be driver or route_code, not {who!r}")
    names = ("variance_abs", "variance_share", "min_flags", "flag_share")
    return con.execute(rule_sql("flagged_people", who=who), _params(t, names)).df()


def repeated_shortfalls(con: duckdb.DuckDBPyConnection, t: CashThresholds) -> Any:
    """Machines with at least ``repeat_shortfalls`` flagged shortfalls (a pandas DataFrame)."""
    names = ("variance_abs", "variance_share", "repeat_shortfalls")
    return con.execute(rule_sql("repeated_shortfalls"), _params(t, names)).df()
