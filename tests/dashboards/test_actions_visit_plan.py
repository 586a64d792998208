"""The visit plan page: the plan and pick lists from the real pipeline's service_plan tables,
service orders created from it (compared with the service_plan_picks rows read directly from
the warehouse), order filters, cancel with a reason, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from operations.errors import PermissionDenied
from operations.schema import AuditEntry, ServiceOrder
from operations.services import orders
from operations.services.visit_orders import PlanPick, create_orders_from_plan
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean, texts
from tests.operations.ops_world import table_contents

PAGE = "app_pages/visit_plan.py"


def _first_plan(home: ActionsHome) -> tuple[str, str]:
    rows = home.sql(
        "SELECT route_id, plan_date::VARCHAR FROM service_plan ORDER BY plan_date DESC, route_id"
    )
    assert rows, "the seeded demo home (seed 11) must give the pipeline a visit plan to show"
    return rows[0]


def _picks(home: ActionsHome, route: str, day: str) -> list[tuple[object, ...]]:
    return home.sql(
        "SELECT asset_number, cabinet_id, slot, product_id, quantity FROM service_plan_picks"
        " WHERE route_id = ? AND plan_date = ?::DATE",
        route,
        day,
    )


def _orders_by_asset(home: ActionsHome, ids: list[int]) -> dict[str, set[tuple[object, ...]]]:
    cabinet_asset = dict(home.sql("SELECT cabinet_id, asset_number FROM cabinets"))
    found: dict[str, set[tuple[object, ...]]] = {}
    for order_id in ids:
        order = orders.get_order(home.engine, home.actors["manager"], order_id)
        for oc in order.cabinets:
            found.setdefault(cabinet_asset[oc.cabinet_id], set()).update(
                (oc.cabinet_id, i.slot, i.product.code, i.quantity_planned) for i in oc.items
            )
    return found


def test_plan_pick_lists_print_view_and_csv(actions_home: ActionsHome) -> None:
    home = actions_home
    route, day = _first_plan(home)
    picks = _picks(home, route, day)
    app = open_as(home, "viewer", PAGE)
    assert_clean(app)
    assert app.selectbox(key="plan_route").value == route
    assert app.selectbox(key="plan_date").value == day
    machines = {
        r[0]
        for r in home.sql(
            "SELECT asset_number FROM service_plan WHERE route_id = ? AND plan_date = ?::DATE",
            route,
            day,
        )
    }
    shown = texts(app)
    assert f"Machines to visit: {len(machines)}" in shown
    assert f"Units to load: {sum(int(p[4]) for p in picks)}" in shown
    # viewers see the plan but get no action
    keys = {b.key for b in app.button}
    assert "create_orders" not in keys and "cancel_submit" not in keys
    app.toggle(key="print_view").set_value(True).run()
    assert_clean(app)
    printed = "\n".join(m.value for m in app.markdown)
    assert f"Pick list · route {route} · {day}" in printed
    assert "Whole route, per product" in printed
    for asset in machines:
        assert f"{asset}**" in printed


def test_manager_creates_one_order_per_planned_machine(actions_home: ActionsHome) -> None:
    home = actions_home
    route, day = _first_plan(home)
    expected: dict[str, set[tuple[object, ...]]] = {}
    for asset, cabinet_id, slot, product, quantity in _picks(home, route, day):
        if quantity > 0:
            expected.setdefault(asset, set()).add((cabinet_id, slot, product, quantity))
    with home.engine.connect() as connection:
        last = connection.scalar(select(ServiceOrder.id).order_by(ServiceOrder.id.desc())) or 0
    app = open_as(home, "manager", PAGE)
    app.button(key="create_orders").click().run()
    assert_clean(app)
    assert f"Created {len(expected)} service orders" in texts(app)
    with home.engine.connect() as connection:
        made = connection.execute(
            select(ServiceOrder.id, ServiceOrder.status, ServiceOrder.planned_date)
            .where(ServiceOrder.id > last)
            .order_by(ServiceOrder.id)
        ).all()
        audit = connection.execute(
            select(AuditEntry.action, AuditEntry.entity_key).where(
                AuditEntry.entity == "service_order", AuditEntry.actor == "max"
            )
        ).all()
    ids = [row.id for row in made]
    assert len(ids) == len(expected)
    assert {(row.status, str(row.planned_date)) for row in made} == {("draft", day)}
    assert _orders_by_asset(home, ids) == expected
    assert {("create", str(i)) for i in ids} <= set(audit)
    # the drafts are released on the orders tab (all drafts preselected)
    assert sorted(app.multiselect(key="schedule_ids").value) == ids
    app.button(key="schedule_submit").click().run()
    assert_clean(app)
    assert f"Scheduled orders {', '.join(f'#{i}' for i in ids)}." in texts(app)
    statuses = {orders.get_order(home.engine, home.actors["manager"], i).status for i in ids}
    assert statuses == {"scheduled"}
    with home.engine.connect() as connection:
        scheduled = connection.execute(
            select(AuditEntry.entity_key).where(
                AuditEntry.action == "order.schedule", AuditEntry.actor == "max"
            )
        ).all()
    assert {str(i) for i in ids} <= {row.entity_key for row in scheduled}
    # pressing again creates nothing and says why
    before = table_contents(home.engine)
    app.button(key="create_orders").click().run()
    assert "Created 0 service orders" in texts(app)
    assert "already exists" in texts(app)
    assert table_contents(home.engine) == before


def test_orders_filter_and_cancel_with_a_reason(actions_home: ActionsHome) -> None:
    home = actions_home
    route, day = _first_plan(home)
    picks = [PlanPick(c, s, q) for _, c, s, _, q in _picks(home, route, day)]
    created = create_orders_from_plan(
        home.engine, home.actors["admin"], route_code=route, planned_date="2031-01-06", picks=picks
    ).created
    assert created
    app = open_as(home, "manager", PAGE)
    app.multiselect(key="orders_status").set_value(["scheduled"]).run()
    app.selectbox(key="orders_route").set_value(route).run()
    assert_clean(app)
    listed = [frame.value for frame in app.dataframe if "Order" in frame.value.columns]
    orders_table = listed[0]
    assert set(orders_table["Status"]) == {"scheduled"}
    assert {o.id for o in created} <= set(orders_table["Order"])
    target = created[0].id
    for reason in ("", "<script>x</script>", "1; DELETE FROM service_orders"):
        before = table_contents(home.engine)
        app.selectbox(key="cancel_id").set_value(target)
        app.text_input(key="cancel_reason").input(reason)
        app.button(key="cancel_submit").click().run()
        assert "Nothing was changed" in " ".join(e.value for e in app.error)
        assert table_contents(home.engine) == before
    app.selectbox(key="cancel_id").set_value(target)
    app.text_input(key="cancel_reason").input("Straße gesperrt")
    app.button(key="cancel_submit").click().run()
    assert f"Cancelled order #{target}: Straße gesperrt" in texts(app)
    cancelled = orders.get_order(home.engine, home.actors["admin"], target)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "max")


@pytest.mark.parametrize("role", ["viewer", "driver"])
def test_forged_order_creation_is_refused(role: str, actions_home: ActionsHome) -> None:
    home = actions_home
    route, day = _first_plan(home)
    picks = [PlanPick(c, s, q) for _, c, s, _, q in _picks(home, route, day)]
    before = table_contents(home.engine)
    with pytest.raises(PermissionDenied, match=r"order\.create"):
        create_orders_from_plan(
            home.engine, home.actors[role], route_code=route, planned_date=day, picks=picks
        )
    assert table_contents(home.engine) == before


def test_viewer_lists_orders_without_any_action(actions_home: ActionsHome) -> None:
    """Runs after the tests above made orders: the viewer sees them but no form or button."""
    app = open_as(actions_home, "viewer", PAGE)
    assert_clean(app)
    listed = [frame.value for frame in app.dataframe if "Order" in frame.value.columns]
    assert listed and len(listed[0]) > 0
    keys = {b.key for b in app.button}
    assert keys.isdisjoint({"create_orders", "schedule_submit", "cancel_submit"})
    assert len(app.form) == 0
