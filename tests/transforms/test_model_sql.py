"""model_sql composes a model from the files of its steps (transforms/marts.py)."""

from __future__ import annotations

import re

from transforms.catalog import SQL_DIR
from transforms.marts import model_sql

PLACEHOLDER = re.compile(r"\{[a-z0-9_/]+\}")


def test_fct_stockouts_is_its_steps_in_order() -> None:
    """Every file of sql/build/stockouts/ stands in the composed query, whole and once, in the
    order of its number, and no step placeholder is left for DuckDB to choke on."""
    sql = model_sql("fct_stockouts")
    steps = sorted((SQL_DIR / "build" / "stockouts").glob("*.sql"))
    assert [s.stem[:2] for s in steps] == [f"{n:02d}" for n in range(1, 9)]
    at = [sql.find(step.read_text()) for step in steps]
    assert all(position >= 0 for position in at)
    assert at == sorted(at)
    assert all(sql.count(step.read_text()) == 1 for step in steps)
    assert PLACEHOLDER.search(sql) is None


def test_read_chain_still_composed_into_slot_sales() -> None:
    """The older placeholder, {read_chain}, is composed the same way."""
    sql = model_sql("fct_slot_sales")
    assert (SQL_DIR / "build" / "read_chain.sql").read_text() in sql
    assert PLACEHOLDER.search(sql) is None
