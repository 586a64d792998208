"""The warehouse, read-only, one connection per request: every run swaps in a new
``warehouse.duckdb``, and a connection opened afterwards sees the new catalog, so no reader
ever holds a stale or locked file. SQL lives in ``api/sql/<name>.sql``."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from api.errors import ApiError
from transforms import catalog
from transforms.lake import Location

SQL_DIR = Path(__file__).with_name("sql")
_PARAM = re.compile(r"\$([a-z_]+)")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATA_DATE_SQL = "SELECT CAST(max(as_of) AS DATE) FROM fleet_clock"


@cache
def sql(name: str) -> str:
    """The text of ``api/sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text()


@contextmanager
def open_warehouse(path: Path, lake: Location | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse; 503 while there is none yet. ``lake``: the
    lake its views read, needed when it is in object storage."""
    if not path.exists():
        raise ApiError(503, "no warehouse yet: nothing has been materialized")
    try:
        con = catalog.open_warehouse(path, lake)
    except duckdb.Error as error:
        raise ApiError(503, f"the warehouse cannot be opened: {error}") from error
    with closing(con):
        yield con


@dataclass(frozen=True)
class Page:
    """One page of rows, and whether more follow."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    more: bool
    data_date: date | None


def read_page(
    path: Path,
    name: str,
    params: Mapping[str, object],
    *,
    limit: int,
    offset: int,
    lake: Location | None = None,
) -> Page:
    """Rows ``offset`` to ``offset + limit`` of query ``name`` (one more is read to know
    whether a next page exists)."""
    text = sql(name)
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())  # not comments
    wanted = {p: params.get(p) for p in _PARAM.findall(code)}
    wanted |= {"page_limit": limit + 1, "page_offset": offset}
    with open_warehouse(path, lake) as con:
        cursor = con.execute(f"{text}\nLIMIT $page_limit OFFSET $page_offset", wanted)
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
        found = con.execute(DATA_DATE_SQL).fetchone()
    return Page(columns, rows[:limit], len(rows) > limit, found[0] if found else None)


def plain(value: object) -> object:
    """A JSON-ready value: dates and times as ISO 8601, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting like a formula gets a leading
    apostrophe. Numbers are left alone (a negative number is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return plain(value)


def to_csv(page: Page) -> str:
    """The page as CSV with a header row, every text cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in page.columns])
    writer.writerows([safe_cell(v) for v in row] for row in page.rows)
    return out.getvalue()
