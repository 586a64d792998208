"""Labels and formats of every page's tables (``dashboards/tables.py``), against the names the
issue quotes (``days_since_service``, ``need_date``) and values worked by hand."""

from __future__ import annotations

import pandas as pd

from dashboards.tables import label, long_text, readable


def test_labels_a_manager_reads() -> None:
    assert label("days_since_service") == "Days since service"
    assert label("need_date") == "Visit needed by"
    assert label("crc_failures") == "CRC failures"
    assert label("machine_serial") == "DEX serial"
    assert label("price_cents") == "Price"
    assert label("user name") == "User name"  # already written for people: first letter only
    assert label("DEX serial") == "DEX serial"


def test_cents_become_currency_units_and_nothing_else_changes() -> None:
    frame = pd.DataFrame({"price_cents": [150, 5], "units": [3, 4]})
    shown = readable(frame)
    assert list(shown["price_cents"]) == [1.5, 0.05]
    assert list(shown["units"]) == [3, 4]
    assert list(frame["price_cents"]) == [150, 5]  # the caller's frame is left alone


def test_long_reasons_are_found_in_text_of_either_dtype() -> None:
    reason = "5 selections sold out; 3 core products out; 219 units sold since the last visit"
    assert long_text(pd.DataFrame({"reasons": pd.Series([reason], dtype="str")}))
    assert long_text(pd.DataFrame({"reasons": pd.Series([reason], dtype=object)}))
    assert not long_text(pd.DataFrame({"reasons": ["short"], "units": [1e70]}))
