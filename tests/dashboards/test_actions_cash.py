"""The Cash page (AppTest) on a copy of the demo home with the demo's collections imported: the
figures against direct SQL over the warehouse, a manager's reconciliation (audited), drivers
kept out, and a cash_variance alert on the Fleet overview."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from operations.cash_import import import_collections
from operations.permissions import SYSTEM
from operations.services import alerts, orders
from operations.services.alerts import Finding
from operations.services.cash_collections import export_collections
from tests.dashboards.actions_home import (  # noqa: F401
    ActionsHome,
    actions_home_fixture,
    open_as,
)
from tests.dashboards.conftest import assert_clean, texts
from transforms.cash import publish_collections, refresh_cash
from transforms.catalog import build_catalog

PAGE = "app_pages/cash.py"


@pytest.fixture(scope="module")
def cash_home(actions_home: ActionsHome) -> ActionsHome:
    report = import_collections(
        actions_home.engine, actions_home.home / "master-data" / "collections.csv", actor=SYSTEM
    )
    assert not report.rejected and report.total("created") > 20
    lake = actions_home.home / "lake"
    publish_collections(lake, export_collections(actions_home.engine))
    refresh_cash(lake)
    build_catalog(lake, actions_home.warehouse)
    return actions_home


def test_cash_page_figures_match_the_warehouse(cash_home: ActionsHome) -> None:
    app = open_as(cash_home, "viewer", PAGE)
    assert_clean(app)
    assert app.title[0].value == "Cash"
    ((total, uncounted, flagged),) = cash_home.sql(
        "SELECT count(*), count(*) FILTER (WHERE status = 'uncounted'), "
        "count(*) FILTER (WHERE status IN ('short', 'over') AND abs(variance) >= 5 "
        "AND abs(variance_share) >= 0.03) FROM fct_cash_collections"
    )
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Collections"] == str(total)
    assert metrics["Uncounted"] == str(uncounted)
    assert metrics["Flagged"] == str(flagged)
    assert len(app.get("plotly_chart")) >= 1  # variance over time
    assert "Reconcile" not in texts(app)  # viewers do not reconcile


def test_the_filters_narrow_the_collections_to_a_period_and_a_route(
    cash_home: ActionsHome,
) -> None:
    ((route, start, end),) = cash_home.sql(
        "SELECT route_code, min(collected_at)::DATE + 7, min(collected_at)::DATE + 20 "
        "FROM fct_cash_collections WHERE route_code IS NOT NULL "
        "GROUP BY route_code ORDER BY route_code LIMIT 1"
    )
    ((expected, uncounted),) = cash_home.sql(
        "SELECT count(*), count(*) FILTER (WHERE status = 'uncounted') FROM fct_cash_collections "
        "WHERE route_code = ? AND collected_at::DATE BETWEEN ? AND ?",
        route,
        start,
        end,
    )
    assert expected > 0, "the chosen period holds collections of that route"
    app = open_as(cash_home, "manager", PAGE)
    app.date_input(key="cash_period").set_value((start, end)).run()
    app.multiselect(key="cash_routes").select(route).run()
    assert_clean(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Collections"] == str(expected)
    assert metrics["Uncounted"] == str(uncounted)


def test_manager_investigates_a_collection_with_a_note(cash_home: ActionsHome) -> None:
    app = open_as(cash_home, "manager", PAGE)
    assert_clean(app)
    chosen = int(app.selectbox(key="reconcile_pick").value)
    app.radio(key="reconcile_decision").set_value("investigate")
    app.text_input(key="reconcile_note").input("bag seal broken =cmd|' /C calc'!A0")
    app.button(key="reconcile_submit").click().run()
    assert_clean(app)
    with cash_home.engine.connect() as c:
        state, note, by = c.execute(
            text("SELECT reconcile_state, reconcile_note, reconciled_by FROM cash_collections "
                 "WHERE id = :i"), {"i": chosen}
        ).one()  # fmt: skip
        audited = c.execute(
            text("SELECT count(*) FROM audit_log WHERE entity = 'cash_collection' "
                 "AND action = 'investigate' AND entity_key = :k"), {"k": str(chosen)}
        ).scalar()  # fmt: skip
    assert (state, note, by) == ("investigating", "bag seal broken =cmd|' /C calc'!A0", "max")
    assert audited == 1


def test_drivers_have_no_cash_page(cash_home: ActionsHome) -> None:
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_as(cash_home, "driver", PAGE)  # not in a driver's menu


def test_cash_variance_alert_on_the_fleet_overview(cash_home: ActionsHome) -> None:
    ((serial,),) = cash_home.sql("SELECT min(machine_serial) FROM fct_cash_collections")
    alerts.raise_or_refresh(
        cash_home.engine, SYSTEM, Finding("cash_variance", serial, f"{serial} short 25.00")
    )
    app = open_as(cash_home, "manager", "app_pages/overview.py")
    assert_clean(app)
    shown = texts(app)
    assert "Cash variances" in shown
    assert "1 machine(s) with a cash collection off past the threshold" in shown


def test_driver_enters_the_counted_cash_on_a_collection_order(cash_home: ActionsHome) -> None:
    day = "2031-04-07"
    ((cabinet_id, asset),) = cash_home.sql(
        "SELECT c.cabinet_id, d.asset_number FROM cabinets c JOIN devices d USING (asset_number) "
        "WHERE d.route_id = 'R001' ORDER BY d.asset_number LIMIT 1"
    )
    admin = cash_home.actors["admin"]
    order = orders.create_order(
        cash_home.engine,
        admin,
        route_code="R001",
        planned_date=day,
        cabinets={int(cabinet_id): []},
        order_type="cash_collection",
    )
    orders.schedule_order(cash_home.engine, admin, order.id)
    orders.start_order(cash_home.engine, cash_home.actors["driver"], order.id)
    app = open_as(cash_home, "driver", "app_pages/driver.py")
    app.selectbox(key="driver_day").set_value(date.fromisoformat(day)).run()
    assert app.selectbox(key=f"cash_machine_{order.id}").value == asset
    app.text_input(key=f"cash_bills_{order.id}").input("41.00")
    app.text_input(key=f"cash_coins_{order.id}").input("13.40")
    app.text_input(key=f"cash_bag_{order.id}").input("B000777")
    app.button(key=f"cash_submit_{order.id}").click().run()
    assert_clean(app)
    assert "saved: 54.40 in bag B000777" in texts(app)
    with cash_home.engine.connect() as c:
        row = c.execute(
            text("SELECT counted_bills_cents, counted_coins_cents, bag, driver, source "
                 "FROM cash_collections WHERE order_id = :o"), {"o": order.id}
        ).one()  # fmt: skip
        audited = c.execute(
            text("SELECT actor FROM audit_log WHERE entity = 'cash_collection' "
                 "AND action = 'record'")
        ).scalars().all()  # fmt: skip
    assert tuple(row) == (4100, 1340, "B000777", "driver01", "driver")
    assert audited == ["driver01"]
