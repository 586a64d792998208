"""The warehouse contract: lake schemas, catalog views and docs/warehouse.md say the same thing.

Three descriptions of the same tables are kept by hand: the raw tables' Arrow schemas
(``ingest/raw_tables.py``), the model outputs' (``models/output_schemas.py``), the SQL views
analysts query (``transforms/sql/``) and the column tables of ``docs/warehouse.md``. On a real
materialized demo home (the shared ``platform_home``), every view of ``warehouse.duckdb`` is
``DESCRIBE``d and compared with the schemas and with the page, so none of them can drift alone.

The page's format, which this test enforces: each view has a section whose heading starts with
its name in backticks (``### `dex_reads`: ...``) and holds a table whose first header cell is
``column``; a row's first cell names one or more columns, comma-separated.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ingest.raw_tables import SCHEMAS as RAW_SCHEMAS
from models.output_schemas import SCHEMAS as MODEL_SCHEMAS
from tests.platform_home import PlatformHome

DOC = Path(__file__).resolve().parents[1] / "docs" / "warehouse.md"
_VIEW_HEADING = re.compile(r"^#{2,4} `([a-z_][a-z0-9_]*)`")
_HEADING = re.compile(r"^#{1,4} ")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class DocFormatError(AssertionError):
    """docs/warehouse.md does not follow the format this contract reads."""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented_columns(text: str) -> dict[str, list[str]]:
    """View name -> the columns its section of the page documents, in order.

    Raises DocFormatError naming the line when a view is documented twice, a view section has no
    column table, or a column cell holds something that is not a column name."""
    views: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    current: str | None = None
    in_column_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADING.match(line):
            match = _VIEW_HEADING.match(line)
            current = match.group(1) if match else None
            in_column_table = False
            if current is not None:
                if current in views:
                    raise DocFormatError(
                        f"docs/warehouse.md:{number}: view `{current}` documented twice "
                        f"(first at line {lines[current]})"
                    )
                views[current], lines[current] = [], number
            continue
        if current is None or not line.startswith("|"):
            in_column_table = in_column_table and line.startswith("|")
            continue
        first = _cells(line)[0]
        if not in_column_table:
            in_column_table = first == "column"
            continue
        if set(first) <= set("-: "):
            continue  # the separator row under the header
        for raw in first.split(","):
            name = raw.strip().strip("`").strip()
            if not _NAME.fullmatch(name):
                raise DocFormatError(
                    f"docs/warehouse.md:{number}: view `{current}`: {raw.strip()!r} in the "
                    "column cell is not a column name"
                )
            if name in views[current]:
                raise DocFormatError(
                    f"docs/warehouse.md:{number}: view `{current}` documents column `{name}` twice"
                )
            views[current].append(name)
    empty = [view for view, columns in views.items() if not columns]
    if empty:
        raise DocFormatError(
            "docs/warehouse.md: no column table (first header cell `column`) under the "
            + ", ".join(f"`{v}` (line {lines[v]})" for v in empty)
        )
    return views


def view_columns(warehouse: Path) -> dict[str, list[str]]:
    """View name -> its columns, as DuckDB describes them, from the warehouse file."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY view_name"
            ).fetchall()
        ]
        return {
            name: [row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall()] for name in names
        }
    finally:
        con.close()


def _schema_drift(
    kind: str, schemas: dict[str, pa.Schema], views: dict[str, list[str]]
) -> list[str]:
    problems = []
    for table, schema in schemas.items():
        if table not in views:
            problems.append(f"{kind} table `{table}` has no view in warehouse.duckdb")
            continue
        have = set(views[table])
        problems += [
            f"{kind} table `{table}`: column `{c}` does not reach its view"
            for c in schema.names
            if c not in have
        ]
        problems += [
            f"{kind} table `{table}`: the view has column `{c}`, which its schema does not"
            for c in views[table]
            if c not in schema.names
        ]
    return problems


@pytest.fixture(scope="module")
def views(platform_home: PlatformHome) -> dict[str, list[str]]:
    """Every view of the materialized demo home's warehouse with its columns."""
    return view_columns(platform_home.warehouse)


@pytest.fixture(scope="module")
def documented() -> dict[str, list[str]]:
    """Every view docs/warehouse.md documents with its columns."""
    return documented_columns(DOC.read_text(encoding="utf-8"))


def test_every_view_is_documented(views: dict[str, list[str]], documented: dict[str, list[str]]):
    missing = [v for v in views if v not in documented]
    assert not missing, "views missing from docs/warehouse.md: " + ", ".join(missing)


def test_every_documented_view_exists(
    views: dict[str, list[str]], documented: dict[str, list[str]]
):
    extra = [v for v in documented if v not in views]
    assert not extra, "docs/warehouse.md documents views warehouse.duckdb lacks: " + ", ".join(
        extra
    )


def test_documented_columns_are_the_view_columns(
    views: dict[str, list[str]], documented: dict[str, list[str]]
):
    problems = []
    for view, columns in documented.items():
        if view not in views:
            continue  # reported by test_every_documented_view_exists
        have = set(views[view])
        problems += [
            f"docs/warehouse.md: `{view}`.`{c}` is documented but the view has no such column"
            for c in columns
            if c not in have
        ]
        problems += [
            f"docs/warehouse.md: `{view}`.`{c}` is a column of the view but not documented"
            for c in views[view]
            if c not in columns
        ]
    assert not problems, "\n".join(problems)


def test_raw_schemas_reach_their_views(views: dict[str, list[str]]):
    problems = _schema_drift("raw", RAW_SCHEMAS, views)
    assert not problems, "\n".join(problems)


def test_model_output_schemas_reach_their_views(views: dict[str, list[str]]):
    problems = _schema_drift("model output", MODEL_SCHEMAS, views)
    assert not problems, "\n".join(problems)


def test_the_page_parser_reads_what_it_should():
    """The reader above, on a hand-written page: it must find columns, and refuse what it
    cannot read rather than skip it (a skipped line would hide drift)."""
    page = (
        "## Raw\n### `a`: one row per thing\n| column | type | meaning |\n|---|---|---|\n"
        "| x, `y` | INT | two columns |\n| z | | |\n\ntext | not a table\n"
        "### Not a view\n| column | meaning |\n|---|---|\n| ignored | |\n"
        "### `b`\n| column | meaning |\n|---|---|\n| only | |\n"
    )
    assert documented_columns(page) == {"a": ["x", "y", "z"], "b": ["only"]}
    with pytest.raises(DocFormatError, match=r"warehouse\.md:4: view `a`: 'x y'"):
        documented_columns("### `a`\n| column |\n|---|\n| x y |\n")
    with pytest.raises(DocFormatError, match=r"no column table.*`a`"):
        documented_columns("### `a`\nprose only\n")
    with pytest.raises(DocFormatError, match="`a` documented twice"):
        documented_columns("### `a`\n| column |\n|-|\n| x |\n### `a`\n| column |\n|-|\n| y |\n")
