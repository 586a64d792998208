"""Issue 19: where the machine's DEX reports another product than the planogram, the Machine and
Recommendations pages say so, with the data escaped for Markdown.

The disagreements expected are those of the warehouse view ``planogram_vs_dex``, itself checked
against the simulator's record of the drivers' swaps in
``tests/models/test_planogram_dex_demand.py``.
"""

from __future__ import annotations

import re

from dashboards.escape import md
from tests.dashboards.conftest import PlatformHome, assert_clean, open_app
from tests.orchestration.pipeline import query

NOTE = "DEX disagrees with the planogram"
_PLAIN = re.compile(r"[A-Za-z0-9 ]+")


def _disagreements(home: PlatformHome) -> list[tuple[str, str, int, str, str]]:
    """(serial, asset, cabinet, selection, reported product's name) of every differing slot."""
    rows = query(
        home.home,
        "SELECT v.machine_serial, v.asset_number, v.cabinet_index, v.selection, p.name "
        "FROM planogram_vs_dex v JOIN products p ON p.product_id = v.dex_product_id "
        "WHERE v.status = 'differs' ORDER BY 1, 3, 4",
    )
    assert rows, "the demo home should have products swapped by drivers"
    return rows


def _note(app) -> str:  # type: ignore[no-untyped-def]
    notes = [w.value for w in app.warning if NOTE in w.value]
    assert len(notes) == 1, notes
    return notes[0]


def test_machine_page_lists_the_selections_dex_disagrees_on(platform_home: PlatformHome) -> None:
    rows = _disagreements(platform_home)
    serial = rows[0][0]
    app = open_app(platform_home, "viewer", "app_pages/machine.py")
    app.selectbox(key="machine").set_value(serial).run()
    assert_clean(app)
    note = _note(app)
    mine = [r for r in rows if r[0] == serial]
    assert f"in {len(mine)} selection(s)" in note
    for _, _, cabinet, selection, name in mine:
        assert _PLAIN.fullmatch(name)  # so the escaped text is the name itself
        assert f"selection {selection} (cabinet {cabinet} " in note
        assert f"DEX reports **{name}**" in note
    agreeing = {r[0] for r in query(platform_home.home, "SELECT dex_serial FROM devices")} - {
        r[0] for r in rows
    }
    if agreeing:
        app.selectbox(key="machine").set_value(sorted(agreeing)[0]).run()
        assert not [w for w in app.warning if NOTE in w.value]


def test_recommendations_page_shows_the_cabinets_disagreements(
    platform_home: PlatformHome,
) -> None:
    rows = _disagreements(platform_home)
    _, asset, cabinet, _, _ = rows[0]
    app = open_app(platform_home, "manager", "app_pages/recommendations.py")
    app.selectbox(key="rec_cabinet").set_value((asset, cabinet)).run()
    assert_clean(app)
    note = _note(app)
    mine = [r for r in rows if r[1] == asset and r[2] == cabinet]
    assert f"in {len(mine)} selection(s)" in note
    for *_, selection, name in mine:
        assert f"selection {selection} " in note and f"**{name}**" in note


def test_markdown_escaping_of_shown_data() -> None:
    # worked by hand: each Markdown/HTML/LaTeX/emoji character gets a backslash
    assert md("**Cola** [x](y) $5 :tada: <b>\nA_B") == (
        r"\*\*Cola\*\* \[x\]\(y\) \$5 \:tada\: \<b\> A\_B"
    )
