"""Warehouse rows handed to the services (from pandas or DuckDB) as plain Python values.

A whole number that a data frame turned into a float (a column with a NULL) becomes an ``int``
again, and NaN becomes ``None``, so the field checks see what the row meant. Anything else is
passed through for the checks to judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def plain(value: object) -> object:
    """``7.0`` → ``7``, NaN → ``None``, numpy scalars → Python scalars; other values unchanged."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def plain_row(row: Mapping[str, object], names: tuple[str, ...]) -> dict[str, object]:
    """The ``names`` present in ``row``, as plain values."""
    return {name: plain(row[name]) for name in names if name in row}
