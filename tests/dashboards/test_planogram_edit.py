"""The editor's table work, worked by hand: par as a share, a row cleared, the what-if."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards.planogram_edit import clear_row, frame_of, par_share, specs_of, what_if
from operations.services.planogram_editor import diff
from operations.services.planograms import SlotRow

ROWS = [
    SlotRow("A1", "11", "COLA", 10, 8, 150),
    SlotRow("A2", "12", "CHIPS", 7, 7, 100),
    SlotRow("B1", "21", "WATER", 15, 5, 120),
]


def test_par_as_a_share_rounds_down_and_a_row_clears() -> None:
    shared = par_share(frame_of(ROWS), 0.75)
    assert list(shared["par_level"]) == [7, 5, 11]  # 7.5, 5.25, 11.25 rounded down
    assert list(clear_row(shared, "A")["slot"]) == ["B1"]
    assert [s.price for s in specs_of(frame_of(ROWS))] == ["1.50", "1.00", "1.20"]


def test_what_if_uses_the_slot_forecast_or_the_products_rate_here() -> None:
    after = [ROWS[0], SlotRow("A2", "12", "WATER", 7, 6, 120), ROWS[2]]
    forecast = pd.DataFrame(
        [
            ("slot", 1, "A2", "CHIPS", 14.0),
            ("slot", 1, "B1", "WATER", 21.0),
            ("product", None, None, "WATER", 10.5),
        ],
        columns=["kind", "cabinet_index", "slot", "product_id", "weekly_units"],
    )
    [row] = what_if(diff(ROWS, after), forecast, 1).to_dict("records")
    assert row["slot"] == "A2"
    # before: A2's own forecast for CHIPS, 14 a week at 1.00; after: WATER's rate here, 10.5 at 1.20
    assert (row["units_before"], row["revenue_before"]) == (14.0, pytest.approx(14.0))
    assert (row["units_after"], row["revenue_after"]) == (10.5, pytest.approx(12.6))
