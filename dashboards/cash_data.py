"""Data of the Cash page: the cash variance rules (transforms/cash_flags.py) on the warehouse,
with the thresholds of ``$CVD_HOME/config/cash.toml``; cached until the warehouse changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboards import data
from orchestration.settings import load_cash_thresholds
from transforms import cash_flags
from transforms.cash_flags import CashThresholds

CACHE_SECONDS = 300


def thresholds() -> CashThresholds:
    """The configured thresholds (read at every rerun: the file is tiny)."""
    return load_cash_thresholds(data.settings())


def _run(rule: Callable[..., Any], *args: Any) -> pd.DataFrame:
    warehouse = data.settings().warehouse
    if not warehouse.is_file():
        raise data.WarehouseMissingError(f"no warehouse at {warehouse} yet: run `cvd materialize`")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame: pd.DataFrame = rule(con, *args)
        return frame
    finally:
        con.close()


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def _cached(kind: str, mtime_ns: int, t: CashThresholds) -> pd.DataFrame:
    del mtime_ns  # part of the cache key only
    if kind == "collections":
        return _run(cash_flags.flagged_collections, t)
    if kind == "machines":
        return _run(cash_flags.repeated_shortfalls, t)
    return _run(cash_flags.flagged_people, t, kind)


def load(kind: str, t: CashThresholds) -> pd.DataFrame:
    """``collections`` (every collection, ``flagged``), ``machines`` (repeated shortfalls),
    ``driver`` or ``route_code`` (flagged patterns)."""
    warehouse = data.settings().warehouse
    try:
        mtime = warehouse.stat().st_mtime_ns
    except FileNotFoundError:
        raise data.WarehouseMissingError(
            f"no warehouse at {warehouse} yet: run `cvd materialize`"
        ) from None
    return _cached(kind, mtime, t)
