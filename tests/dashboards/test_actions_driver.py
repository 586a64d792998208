"""The driver's page: only their own orders; start; record delivered quantities; complete.

Orders are made here through the service (as the admin) on both demo routes: R001 is driven by
driver01 (the test driver), R002 by driver02 (the shared fixture's edit).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from operations.errors import PermissionDenied
from operations.schema import AuditEntry, ServiceOrderCabinet, ServiceOrderItem
from operations.services import orders, visits
from tests.dashboards.actions_home import (  # noqa: F401
    ActionsHome,
    actions_home_fixture,
    open_as,
    open_page,
)
from tests.dashboards.conftest import OTHER_DRIVER, assert_clean, texts
from tests.images import png
from tests.operations.ops_world import table_contents

PAGE = "app_pages/driver.py"
DAY = "2031-03-03"
DATE = date.fromisoformat(DAY)


def _slots(home: ActionsHome, route: str, n: int) -> dict[int, list[orders.ItemSpec]]:
    rows = home.sql(
        "SELECT s.cabinet_id, s.slot, s.par_level FROM planogram_slots s"
        " JOIN devices d ON d.asset_number = s.asset_number WHERE d.route_id = ?"
        " ORDER BY s.asset_number, s.cabinet_index, s.slot LIMIT ?",
        route,
        n,
    )
    cabinets: dict[int, list[orders.ItemSpec]] = {}
    for cabinet_id, slot, par in rows:
        cabinets.setdefault(int(cabinet_id), []).append(orders.ItemSpec(slot, max(int(par), 1)))
    return cabinets


@pytest.fixture(scope="module")
def route_orders(actions_home: ActionsHome) -> dict[str, int]:
    """A scheduled order on each route for DAY, and a draft one on R001."""
    admin, made = actions_home.actors["admin"], {}
    for route in ("R001", "R002"):
        order = orders.create_order(
            actions_home.engine,
            admin,
            route_code=route,
            planned_date=DAY,
            cabinets=_slots(actions_home, route, 3),
        )
        orders.schedule_order(actions_home.engine, admin, order.id)
        made[route] = order.id
    made["draft"] = orders.create_order(
        actions_home.engine,
        admin,
        route_code="R001",
        planned_date=DAY,
        cabinets=_slots(actions_home, "R001", 1),
    ).id
    return made


def test_driver_sees_only_their_orders(
    actions_home: ActionsHome, route_orders: dict[str, int]
) -> None:
    app = open_as(actions_home, "driver", PAGE)
    assert_clean(app)
    app.selectbox(key="driver_day").set_value(DATE).run()
    headings = [s.value for s in app.subheader if s.value.startswith("Order #")]
    assert f"Order #{route_orders['R001']} · scheduled" in headings
    assert f"Order #{route_orders['draft']} · draft" in headings
    assert not any(f"#{route_orders['R002']} " in h for h in headings)
    keys = {b.key for b in app.button}
    assert f"start_{route_orders['R001']}" in keys
    assert f"start_{route_orders['draft']}" not in keys  # drafts wait for the office
    other = open_page(actions_home, *OTHER_DRIVER, PAGE)
    other.selectbox(key="driver_day").set_value(DATE).run()
    other_headings = [s.value for s in other.subheader if s.value.startswith("Order #")]
    assert other_headings == [f"Order #{route_orders['R002']} · scheduled"]


def test_driver_starts_and_completes_with_delivered_quantities(
    actions_home: ActionsHome, route_orders: dict[str, int]
) -> None:
    home, order_id = actions_home, route_orders["R001"]
    planned = {
        (oc.cabinet_id, i.slot): i.quantity_planned
        for oc in orders.get_order(home.engine, home.actors["admin"], order_id).cabinets
        for i in oc.items
    }
    app = open_as(home, "driver", PAGE)
    app.selectbox(key="driver_day").set_value(DATE).run()
    app.button(key=f"start_{order_id}").click().run()
    assert_clean(app)
    assert f"Order #{order_id} started" in texts(app)
    inputs = {n.key: n for n in app.number_input if n.key.startswith(f"delivered_{order_id}_")}
    assert {k: n.value for k, n in inputs.items()} == {
        f"delivered_{order_id}_{c}_{s}": q for (c, s), q in planned.items()
    }
    first_key = sorted(planned)[0]
    first_input = f"delivered_{order_id}_{first_key[0]}_{first_key[1]}"
    # the inputs themselves refuse negative and absurd quantities (the service re-checks)
    assert {(n.min, n.max, n.step) for n in inputs.values()} == {(0, 999, 1)}
    delivered = dict(planned) | {first_key: planned[first_key] - 1}
    inputs[first_input].set_value(delivered[first_key])
    app.button(key=f"complete_submit_{order_id}").click().run()
    assert_clean(app)
    assert f"Order #{order_id} completed" in texts(app)
    done = orders.get_order(home.engine, home.actors["admin"], order_id)
    assert (done.status, done.started_by, done.completed_by) == (
        "completed",
        "driver01",
        "driver01",
    )
    with home.engine.connect() as connection:
        recorded = {
            (cab, slot): qty
            for cab, slot, qty in connection.execute(
                select(
                    ServiceOrderCabinet.cabinet_id,
                    ServiceOrderItem.slot,
                    ServiceOrderItem.quantity_delivered,
                )
                .join(
                    ServiceOrderCabinet,
                    ServiceOrderItem.order_cabinet_id == ServiceOrderCabinet.id,
                )
                .where(ServiceOrderCabinet.order_id == order_id)
            )
        }
        trail = connection.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == "service_order", AuditEntry.entity_key == str(order_id))
            .order_by(AuditEntry.id)
        ).all()
    assert recorded == delivered
    assert [tuple(t) for t in trail][-2:] == [
        ("order.start", "driver01"),
        ("order.complete", "driver01"),
    ]


def test_forged_calls_on_another_drivers_order_are_refused(
    actions_home: ActionsHome, route_orders: dict[str, int]
) -> None:
    home, theirs = actions_home, route_orders["R002"]
    before = table_contents(home.engine)
    with pytest.raises(PermissionDenied):
        orders.start_order(home.engine, home.actors["driver"], theirs)
    with pytest.raises(PermissionDenied):
        orders.get_order(home.engine, home.actors["driver"], theirs)
    with pytest.raises(PermissionDenied):
        orders.start_order(home.engine, home.actors["viewer"], theirs)
    assert table_contents(home.engine) == before


def test_office_roles_have_no_driver_page(actions_home: ActionsHome) -> None:
    for role in ("viewer", "manager"):
        app = open_as(actions_home, role, "app_pages/visit_plan.py")
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(PAGE)


def test_the_office_sees_thumbnails_of_an_orders_photos(actions_home: ActionsHome) -> None:
    home, admin, driver = actions_home, actions_home.actors["admin"], actions_home.actors["driver"]
    order = orders.create_order(
        home.engine, admin, route_code="R001", planned_date=DAY, cabinets=_slots(home, "R001", 1)
    )
    orders.schedule_order(home.engine, admin, order.id)
    orders.start_order(home.engine, driver, order.id)
    cabinet = order.cabinets[0].cabinet_id
    for kind in ("before", "after"):
        visits.add_photo(
            home.engine, driver, home.home / "photos", order.id, cabinet, kind=kind, data=png()
        )
    app = open_as(home, "manager", "app_pages/visit_plan.py")
    app.selectbox(key="order_detail").set_value(order.id).run()
    assert_clean(app)
    assert "**Photos** (2)" in texts(app)
    captions = [caption for image in app.image for caption in image.captions]
    assert [c.split(" · ")[:2] for c in captions] == [["before", "driver01"], ["after", "driver01"]]
