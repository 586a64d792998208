"""CSV cells a spreadsheet would run as formulas are neutralised; numbers are left alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from api.warehouse import Page, to_csv


def test_formula_cells_get_an_apostrophe_numbers_do_not() -> None:
    page = Page(
        ["name", "value", "day"],
        [
            ('=HYPERLINK("http://x")', -1.5, date(2024, 1, 2)),
            ("+1+1", Decimal("2.50"), None),
            ("-2", -3, None),
            ("@SUM(A1)", 0, None),
            ("\tTAB", 1, None),
            ("plain, with comma", 4, None),
        ],
        more=False,
        data_date=None,
    )
    assert to_csv(page).splitlines() == [
        "name,value,day",
        '"\'=HYPERLINK(""http://x"")",-1.5,2024-01-02',
        "'+1+1,2.5,",
        "'-2,-3,",
        "'@SUM(A1),0,",
        "'\tTAB,1,",
        '"plain, with comma",4,',
    ]
