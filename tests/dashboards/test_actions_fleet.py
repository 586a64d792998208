"""The fleet pages on a writable copy of the demo home: Machines, Products, Locations & routes
and Master-data files, per role (menus, refusals, validation messages naming the field), the
version check of two product editors, and labels a manager reads on every table."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from operations.services import products
from tests.dashboards.actions_home import (  # noqa: F401
    ActionsHome,
    actions_home_fixture,
    open_as,
)
from tests.dashboards.conftest import assert_clean, texts

PAGES = {
    "machines": "app_pages/machines.py",
    "products": "app_pages/products.py",
    "locations-routes": "app_pages/locations_routes.py",
    "master-data-files": "app_pages/master_files.py",
}
RAW_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # snake_case: a column name, not a label


def _one(home: ActionsHome, sql: str) -> object:
    with home.engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def _rows(home: ActionsHome, sql: str) -> list[tuple[object, ...]]:
    with home.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _errors(app: AppTest) -> str:
    """The page's error messages without their Markdown escapes."""
    return " ".join(e.value for e in app.error).replace("\\", "")


def _button(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click()
    return app.run()


def _raw_columns(app: AppTest) -> list[str]:
    return [
        str(c) for frame in app.dataframe for c in frame.value.columns if RAW_NAME.match(str(c))
    ]


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_office_roles_open_every_fleet_page_with_readable_tables(
    role: str, actions_home: ActionsHome
) -> None:
    for page in PAGES.values():
        app = open_as(actions_home, role, page)
        assert_clean(app)
        assert _raw_columns(app) == [], page
        if role == "viewer":  # reads only: no form, a note says who edits
            assert len(app.form) == 0, page
            assert "by managers and admins" in texts(app), page


def test_drivers_have_none_of_the_fleet_pages(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "driver", "app_pages/machine.py")
    assert_clean(app)
    for page in PAGES.values():
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)


def test_machines_table_search_and_status(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "manager", PAGES["machines"])
    assert_clean(app)
    table = app.dataframe[0].value
    (machines,) = actions_home.sql("SELECT count(*) FROM machine_health")[0]
    assert len(table) == machines
    for label in ("Asset", "DEX serial", "Model", "Location", "Route", "Status"):
        assert label in table.columns
    assert {"Revenue 7d", "Sold out slots", "CRC failures", "Telemetry"} <= set(table.columns)
    first = sorted(a for a in table["Asset"] if a)[0]
    app.text_input(key="machines_search").input(first.lower()).run()
    assert list(app.dataframe[0].value["Asset"]) == [first]


def test_product_added_with_a_bad_field_names_it_and_writes_nothing(
    actions_home: ActionsHome,
) -> None:
    app = open_as(actions_home, "manager", PAGES["products"])
    before = _one(actions_home, "SELECT count(*) FROM products")
    app.text_input(key="add_code").input("NEW1")
    app.text_input(key="add_name").input("Sparkling water")
    app.text_input(key="add_category").input("Drinks")
    app.text_input(key="add_price").input("1.999")
    app.text_input(key="add_cost").input("0.40")
    app = _button(app, "Add product")
    errors = _errors(app)
    assert "price='1.999': has more than 2 decimals" in errors
    assert "Nothing was changed" in errors
    assert _one(actions_home, "SELECT count(*) FROM products") == before
    app.text_input(key="add_price").input("1.90")
    app.text_input(key="add_barcode").input("96385074")
    app = _button(app, "Add product")
    assert_clean(app)
    assert "Added product NEW1 (Sparkling water)." in texts(app)
    assert _one(actions_home, "SELECT price_cents FROM products WHERE code = 'NEW1'") == 190
    codes = list(app.dataframe[0].value["Product code"])
    assert "NEW1" in codes  # the page is current at once, no restart


def test_second_product_editor_is_refused(actions_home: ActionsHome) -> None:
    code = str(_one(actions_home, "SELECT min(code) FROM products WHERE deleted_at IS NULL"))
    app = open_as(actions_home, "manager", PAGES["products"])
    app.selectbox(key="edit_code").set_value(code).run()
    # meanwhile an admin saves the same product through the service
    version = int(_one(actions_home, f"SELECT row_version FROM products WHERE code = '{code}'"))
    current = products.list_all(actions_home.engine, actions_home.actors["admin"])
    product = next(p for p in current if p.code == code)
    products.edit_product(
        actions_home.engine,
        actions_home.actors["admin"],
        code,
        seen_version=version,
        name="Renamed by the admin",
        category=product.category,
        cost=f"{product.cost_cents / 100:.2f}",
        size=product.size,
        barcode="",
        image_url="",
        price=f"{product.price_cents / 100:.2f}",
        effective_on="2026-01-01",
    )
    app.text_input(key=f"edit_f_name_{code}").input("Renamed by the manager")
    app = _button(app, "Save product")
    errors = _errors(app)
    assert "changed since you opened it" in errors
    assert _one(actions_home, f"SELECT name FROM products WHERE code = '{code}'") == (
        "Renamed by the admin"
    )


def test_price_change_shows_its_reach_and_waits_for_its_day(actions_home: ActionsHome) -> None:
    code, price = _rows(
        actions_home,
        "SELECT p.code, p.price_cents FROM products p JOIN planogram_slots s"
        " ON s.product_id = p.id JOIN planogram_versions v ON v.id = s.version_id"
        " WHERE v.is_active AND p.deleted_at IS NULL ORDER BY p.code LIMIT 1",
    )[0]
    (holders,) = actions_home.sql(
        "SELECT count(DISTINCT asset_number) FROM planogram_slots WHERE product_id = ?", code
    )[0]
    app = open_as(actions_home, "manager", PAGES["products"])
    app.selectbox(key="edit_code").set_value(code).run()
    assert f"A price change reaches {holders} machine(s)" in texts(app)
    app.text_input(key=f"edit_f_price_{code}").input(f"{(price + 25) / 100:.2f}")
    app.date_input(key=f"edit_f_from_{code}").set_value(date.today() + timedelta(days=30))
    app = _button(app, "Save product")
    assert_clean(app)
    assert _one(actions_home, f"SELECT price_cents FROM products WHERE code = '{code}'") == price
    pending = next(f.value for f in app.dataframe if "Effective on" in f.value.columns)
    assert list(pending["Product code"]) == [code]
    assert list(pending["New price"]) == [(price + 25) / 100]


def test_machine_added_in_three_steps_and_a_bad_field_named(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "manager", PAGES["machines"])
    app.text_input(key="setup_asset").input("")
    app = _button(app, "Next: place")
    app = _button(app, "Next: cabinets")
    app = _button(app, "Add machine")
    errors = _errors(app)
    assert "asset_number='': must not be empty" in errors
    assert _one(actions_home, "SELECT count(*) FROM devices WHERE asset_number = 'NEW-M1'") == 0
    app = _button(app, "Back")
    app = _button(app, "Back")
    app.text_input(key="setup_asset").input("NEW-M1")
    app.text_input(key="setup_model").input("Crane 187")
    app = _button(app, "Next: place")
    app = _button(app, "Next: cabinets")
    app.number_input(key="setup_cabinet_count").set_value(2).run()
    app.selectbox(key="setup_type_2").set_value("Cooler 5x8").run()
    app = _button(app, "Add machine")
    assert_clean(app)
    assert "Added machine NEW-M1 with 2 cabinet(s)." in texts(app)
    assert (
        _one(
            actions_home,
            "SELECT count(*) FROM cabinets c JOIN devices d ON d.id = c.device_id"
            " WHERE d.asset_number = 'NEW-M1'",
        )
        == 2
    )
    assert "after the warehouse was built" in texts(app)  # the figures catch up on the next run


def test_routes_in_bulk_and_a_bad_weekday_route(actions_home: ActionsHome) -> None:
    assets = [
        str(a)
        for (a,) in _rows(
            actions_home,
            "SELECT asset_number FROM devices WHERE asset_number LIKE 'A%' ORDER BY 1 LIMIT 2",
        )
    ]
    app = open_as(actions_home, "manager", PAGES["locations-routes"])
    # widgets of a form send their values with its submit button
    app.multiselect(key="bulk_machines").set_value(assets)
    app.selectbox(key="bulk_route").set_value("R002")
    app = _button(app, "Assign to route")
    assert_clean(app)
    assert "moved to route R002" in texts(app)
    routes = {
        str(r)
        for (r,) in _rows(
            actions_home,
            "SELECT r.code FROM devices d JOIN routes r ON r.id = d.route_id"
            f" WHERE d.asset_number IN ('{assets[0]}', '{assets[1]}')",
        )
    }
    assert routes == {"R002"}
    app.text_input(key="route_code_(new)").input("R9")
    app.text_input(key="route_name_(new)").input("")
    app = _button(app, "Save route")
    assert "name='': must not be empty" in _errors(app)


def test_machine_page_shows_the_service_history(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "viewer", "app_pages/machine.py")
    assert_clean(app)
    serial = app.selectbox(key="machine").value
    (versions,) = _rows(
        actions_home,
        "SELECT count(*) FROM planogram_versions v JOIN cabinets c ON c.id = v.cabinet_id"
        f" JOIN devices d ON d.id = c.device_id WHERE d.dex_serial = '{serial}'",
    )[0]
    assert "Service history" in texts(app)
    shown = next(f.value for f in app.dataframe if "Created by" in f.value.columns)
    assert len(shown) == versions
    (days,) = actions_home.sql(
        "SELECT count(DISTINCT CAST(read_at AS DATE)) FROM dex_reads WHERE machine_serial = ?",
        serial,
    )[0]
    visits = next(f.value for f in app.dataframe if "Orders completed" in f.value.columns)
    assert len(visits) == days
