"""The evaluation's comparison of result sets, on hand-made rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from models.ask.scoring import same_result

REF = [("R001", Decimal("10.5000")), ("R002", Decimal("3.2500"))]


def test_names_order_and_number_types_do_not_matter() -> None:
    assert same_result(REF, [(3.25, "R002"), (10.5, "R001")])
    assert same_result(REF, [("R001", 10.499999), ("R002", 3.25)])


def test_extra_columns_are_allowed_missing_ones_are_not() -> None:
    assert same_result(REF, [("Route 1", "R001", 10.5), ("Route 2", "R002", 3.25)])
    assert not same_result(REF, [("R001",), ("R002",)])


def test_a_wrong_value_or_row_count_fails() -> None:
    assert not same_result(REF, [("R001", 10.5), ("R002", 3.26)])
    assert not same_result(REF, [("R001", 10.5)])
    assert not same_result(REF, [("R001", 10.5), ("R002", 3.25), ("R003", 0)])


def test_values_must_stay_in_their_rows() -> None:
    ref = [("a", 1, 2), ("b", 2, 1)]
    # each column holds the reference's values, but no column order gives the reference's rows
    assert not same_result(ref, [("a", 2, 2), ("b", 1, 1)])
    assert same_result(ref, [("a", 2, 1), ("b", 1, 2)])  # the same rows with two columns swapped
    assert same_result(ref, [("a", 1, 2), ("b", 2, 1)])


def test_order_counts_only_when_asked() -> None:
    flipped = list(reversed(REF))
    assert same_result(REF, flipped)
    assert not same_result(REF, flipped, ordered=True)


def test_duplicates_are_counted() -> None:
    assert not same_result([("x",), ("x",), ("y",)], [("x",), ("y",), ("y",)])


def test_a_day_as_date_or_midnight_timestamp() -> None:
    assert same_result([(dt.date(2024, 3, 4), 5)], [(dt.datetime(2024, 3, 4), 5)])
    assert not same_result([(dt.date(2024, 3, 4), 5)], [(dt.datetime(2024, 3, 4, 12), 5)])


def test_empty_results() -> None:
    assert same_result([], [])
    assert not same_result([], [(1,)])
