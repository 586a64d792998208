"""Every table of every page, shown the way a manager reads it.

:func:`show` replaces ``st.dataframe``: column names become labels (``days_since_service`` →
"Days since service", ``crc_failures`` → "CRC failures"), dates and times are formatted (a
midnight-only column is a date), money has two decimals, shares are percentages, and a table
with long text (reasons, notes) gets rows tall enough for the grid to wrap it instead of
cutting it off at the cell's edge. The
frame's values are not changed, so sorting in the browser still sorts numbers as numbers.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

# Names that a generic rule would get wrong; everything else: "_" → " ", first letter upper.
LABELS = {
    "machine_serial": "DEX serial",
    "dex_serial": "DEX serial",
    "asset_number": "Asset",
    "product_id": "Product code",
    "location_id": "Location code",
    "route_id": "Route",
    "last_read_age_hours": "Last read (hours ago)",
    "est_units_left": "Units left (estimated)",
    "days_until_sold_out": "Days until sold out",
    "need_date": "Visit needed by",
    "is_active": "In force",
    "valid_from": "In force from",
    "valid_to": "In force until",
    "planogram_version": "Version",
    "version_created_at": "Version made",
    "effective_date": "Changeover day",
    "reads_received": "Reads received",
    "reads_expected": "Reads expected",
    "par_level": "Par level",
    "service_days": "Service days",
}
_ACRONYMS = {
    "id": "ID",
    "dex": "DEX",
    "crc": "CRC",
    "ai": "AI",
    "url": "URL",
    "sku": "SKU",
    "mase": "MASE",
    "wape": "WAPE",
    "mae": "MAE",
    "rmse": "RMSE",
}
_MONEY = re.compile(r"(revenue|price|cost|value|cash|amount|margin|sales_value|expected_cash)")
_SHARE = re.compile(r"(share|rate|ratio|pct|percent|fill)")
_LONG_TEXT = 60  # characters: a column with longer text is shown wrapped
_WRAP_ROW_HEIGHT = 84  # pixels: three lines of wrapped text (Streamlit wraps above 64)


def label(column: str) -> str:
    """The label a manager reads for ``column``."""
    if column in LABELS:
        return LABELS[column]
    if not re.fullmatch(r"[a-z0-9_]+", column):
        return column[:1].upper() + column[1:]  # already written for people
    words = [_ACRONYMS.get(word, word) for word in column.removesuffix("_cents").split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _is_share(name: str, series: pd.Series) -> bool:
    values = series.dropna()
    return bool(_SHARE.search(name)) and not values.empty and values.between(0, 1).all()


def _is_midnight(series: pd.Series) -> bool:
    values = series.dropna()
    return not values.empty and bool((values == values.dt.normalize()).all())


def _config(name: str, series: pd.Series, title: str) -> Any:
    """The column_config of one column (None: Streamlit's default)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        if _is_midnight(series):
            return st.column_config.DateColumn(title, format="YYYY-MM-DD")
        return st.column_config.DatetimeColumn(title, format="YYYY-MM-DD HH:mm")
    if series.dtype == object:
        sample = series.dropna()
        if not sample.empty and sample.map(lambda v: isinstance(v, date)).all():
            if sample.map(lambda v: isinstance(v, datetime)).any():
                return st.column_config.DatetimeColumn(title, format="YYYY-MM-DD HH:mm")
            return st.column_config.DateColumn(title, format="YYYY-MM-DD")
        return None
    if pd.api.types.is_bool_dtype(series):
        return st.column_config.CheckboxColumn(title)
    if not pd.api.types.is_numeric_dtype(series):
        return None
    if _MONEY.search(name):
        return st.column_config.NumberColumn(title, format="%.2f")
    if _is_share(name, series):
        return st.column_config.NumberColumn(title, format="percent")
    if pd.api.types.is_float_dtype(series):
        return st.column_config.NumberColumn(title, format="%.1f")
    return None


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``*_cents`` columns in currency units (the rest is formatted by config)."""
    out = frame.copy()
    for column in frame.columns:
        if str(column).endswith("_cents") and pd.api.types.is_numeric_dtype(frame[column]):
            out[column] = frame[column] / 100
    return out


def long_text(frame: pd.DataFrame) -> bool:
    """Whether a text column of ``frame`` holds a value longer than a cell shows."""
    for column in frame.columns:
        series = frame[column]
        # pandas 3 reads DuckDB text as its "str" dtype; older frames hold it as object
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            lengths = series.dropna().astype(str).str.len()
            if not lengths.empty and lengths.max() > _LONG_TEXT:
                return True
    return False


def _labels(columns: list[str]) -> dict[str, str]:
    """Raw name → label, unique (a second column with the same label gets its name added)."""
    taken: set[str] = set()
    out = {}
    for name in columns:
        text = label(name)
        if text in taken:
            text = f"{text} ({name.replace('_', ' ')})"
        taken.add(text)
        out[name] = text
    return out


def show(frame: pd.DataFrame, **options: Any) -> Any:
    """Show ``frame`` with labels and formats (``st.dataframe``'s options pass through;
    ``column_config`` keyed by the raw column names)."""
    frame = readable(frame)
    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    if long_text(frame):  # the grid wraps text only in rows taller than 4 rem
        options.setdefault("row_height", _WRAP_ROW_HEIGHT)
    names = _labels([str(c) for c in frame.columns])
    given = dict(options.pop("column_config", None) or {})
    config: dict[str, Any] = {}
    for raw, title in names.items():
        config[title] = given.get(raw) or _config(raw, frame[raw], title)
    shown = frame.rename(columns=names)
    return st.dataframe(shown, column_config={k: v for k, v in config.items() if v}, **options)
