"""The Planogram editor and Upload DEX pages in AppTest: roles, validation messages naming slot
and field, the what-if of a change from the warehouse's forecast, a save with its changeover
order, the second editor refused. Expected values are read from the copy's database and
warehouse directly.

AppTest cannot type into ``st.data_editor``; the tests change the editor's table where the page
keeps it (session state, as an edit in the table would) and the browser test types for real.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from dashboards.planogram_edit import EDITOR_STATE
from operations.schema import PlanogramVersion, ServiceOrder, utcnow
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean, texts

EDITOR = "app_pages/planogram_editor.py"
UPLOAD = "app_pages/upload_dex.py"


def _edit(app: AppTest, change: dict[int, dict[str, object]]) -> pd.DataFrame:
    """Change rows of the open cabinet's table (row number → column → value) and rerun."""
    cabinet = app.selectbox(key="editor_cabinet").value
    state = app.session_state[EDITOR_STATE]
    frame = state[cabinet]["frame"].copy()
    for row, values in change.items():
        for column, value in values.items():
            frame.loc[row, column] = value
    state[cabinet] = {**state[cabinet], "frame": frame, "rev": state[cabinet]["rev"] + 1}
    app.session_state[EDITOR_STATE] = state
    app.run()
    return frame


def _versions(home: ActionsHome, cabinet: int) -> list[int]:
    with home.engine.connect() as connection:
        return sorted(
            connection.execute(
                select(PlanogramVersion.version).where(PlanogramVersion.cabinet_id == cabinet)
            ).scalars()
        )


def test_par_above_capacity_and_a_selection_twice_are_named(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "manager", EDITOR)
    assert_clean(app)
    frame = app.session_state[EDITOR_STATE][app.selectbox(key="editor_cabinet").value]["frame"]
    first, second = frame.iloc[0], frame.iloc[1]
    _edit(app, {0: {"par_level": int(first["capacity"]) + 1}, 1: {"selection": first["selection"]}})
    assert_clean(app)
    errors = [str(e.value).replace("\\", "") for e in app.error]  # Markdown escapes off
    assert errors[0].startswith(
        f"slot {first['slot']} par_level={int(first['capacity']) + 1}: exceeds capacity "
        f"{int(first['capacity'])}"
    ), errors
    assert errors[1].startswith(
        f"slot {second['slot']} selection='{first['selection']}': is already used by slot "
        f"{first['slot']}"
    ), errors
    save = next(b for b in app.button if b.label == "Save new version")
    assert save.disabled


def test_manager_saves_a_swap_with_its_changeover_order_and_sees_the_what_if(
    actions_home: ActionsHome,
) -> None:
    home = actions_home
    app = open_as(home, "manager", EDITOR)
    cabinet = app.selectbox(key="editor_cabinet").value
    frame = app.session_state[EDITOR_STATE][cabinet]["frame"]
    slot, old = str(frame.iloc[0]["slot"]), str(frame.iloc[0]["product_id"])
    serial, index = home.sql(
        "SELECT d.dex_serial, c.cabinet_index FROM cabinets c JOIN devices d USING (asset_number)"
        " WHERE c.cabinet_id = ?",
        cabinet,
    )[0]
    # a small product (fits any row) the cabinet does not hold, with its fleet forecast
    held = set(frame["product_id"])
    products = home.sql("SELECT product_id, price_cents, size FROM products ORDER BY 1")
    new, price = next((p, c) for p, c, s in products if s == "S" and p not in held)
    forecast_before = home.sql(
        "SELECT sum(expected_units) FROM demand_forecast WHERE machine_serial = ? AND slot = ?"
        " AND cabinet_index = ? AND forecast_date < (SELECT min(forecast_date) FROM"
        " demand_forecast) + 7",
        serial, slot, index,
    )[0][0]  # fmt: skip
    before = _versions(home, cabinet)
    _edit(app, {0: {"product_id": new, "price": price / 100}})
    assert_clean(app)
    assert not app.error, [e.value for e in app.error]
    [what_if] = [d.value for d in app.dataframe if "Units/week before" in d.value.columns]
    row = what_if[what_if["Slot"] == slot].iloc[0]
    assert row["Before"].startswith(f"{old} · ") and row["After"].startswith(f"{new} · ")
    assert row["Units/week before"] == pytest.approx(forecast_before)
    save = next(b for b in app.button if b.label == "Save new version")
    assert not save.disabled
    save.click()
    app.run()
    assert_clean(app)
    assert _versions(home, cabinet) == [*before, before[-1] + 1]
    tomorrow = utcnow().date() + timedelta(days=1)
    with home.engine.connect() as connection:
        version = connection.execute(
            select(PlanogramVersion.effective_date, PlanogramVersion.created_by).where(
                PlanogramVersion.cabinet_id == cabinet, PlanogramVersion.is_active
            )
        ).one()
        order = connection.execute(
            select(ServiceOrder.id, ServiceOrder.order_type, ServiceOrder.planned_date)
            .order_by(ServiceOrder.id.desc())
            .limit(1)
        ).one()
    assert tuple(version) == (tomorrow, "max")
    assert (order.order_type, order.planned_date) == ("changeover", tomorrow)
    assert f"Saved version {before[-1] + 1}" in texts(app)
    assert f"changeover order #{order.id} for {tomorrow}" in texts(app)


def test_a_second_editor_is_told_the_planogram_changed(actions_home: ActionsHome) -> None:
    home = actions_home
    first, second = open_as(home, "manager", EDITOR), open_as(home, "admin", EDITOR)
    cabinet = first.selectbox(key="editor_cabinet").value
    frame = first.session_state[EDITOR_STATE][cabinet]["frame"]
    par = int(frame.iloc[0]["par_level"])
    lower = {0: {"par_level": max(0, par - 1)}}
    _edit(first, lower)
    _edit(second, {0: {"par_level": max(0, par - 1)}, 1: {"par_level": 0}})
    next(b for b in first.button if b.label == "Save new version").click()
    first.run()
    before = _versions(home, cabinet)
    next(b for b in second.button if b.label == "Save new version").click()
    second.run()
    assert_clean(second)
    assert any("changed since you opened it" in str(e.value) for e in second.error)
    assert _versions(home, cabinet) == before


@pytest.mark.parametrize("role", ["viewer", "driver"])
def test_the_editor_is_not_in_the_menu_of_viewers_and_drivers(
    actions_home: ActionsHome, role: str
) -> None:
    app = open_as(actions_home, role, "app_pages/machine.py")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(EDITOR)


def test_drivers_and_managers_get_the_upload_page_viewers_not(actions_home: ActionsHome) -> None:
    for role in ("driver", "manager"):
        app = open_as(actions_home, role, UPLOAD)
        assert_clean(app)
        assert "Upload DEX" in texts(app)
        assert next(b for b in app.button if b.label == "Upload files").disabled  # nothing picked
    viewer = open_as(actions_home, "viewer", "app_pages/machine.py")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        viewer.switch_page(UPLOAD)
