"""Scheduling several draft orders from the Visit plan page is all or nothing, and says so."""

from __future__ import annotations

from sqlalchemy import select

from operations.permissions import SYSTEM
from operations.schema import Cabinet, Device, Route
from operations.services import orders, planograms
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import assert_clean, texts
from tests.operations.ops_world import table_contents

PAGE = "app_pages/visit_plan.py"


def _draft(home: ActionsHome, planned: str) -> int:
    with home.engine.connect() as connection:
        cabinet_id = connection.execute(
            select(Cabinet.id)
            .join(Device, Device.id == Cabinet.device_id)
            .join(Route, Route.id == Device.route_id)
            .where(Route.code == "R001")
            .order_by(Cabinet.id)
        ).first()[0]
    slot = planograms.get_active_planogram(home.engine, SYSTEM, cabinet_id)[0].slot
    return orders.create_order(
        home.engine,
        home.actors["manager"],
        route_code="R001",
        planned_date=planned,
        cabinets={cabinet_id: [orders.ItemSpec(slot, 1)]},
    ).id


def test_one_unschedulable_order_schedules_none_and_the_page_says_which(
    actions_home: ActionsHome,
) -> None:
    home = actions_home
    first, second = _draft(home, "2031-02-03"), _draft(home, "2031-02-04")
    app = open_as(home, "manager", PAGE)
    app.multiselect(key="schedule_ids").set_value([first, second])
    # meanwhile someone else schedules the second one
    orders.schedule_order(home.engine, home.actors["admin"], second)
    before = table_contents(home.engine)
    app.button(key="schedule_submit").click().run()
    assert_clean(app)
    shown = " ".join(e.value for e in app.error)
    assert f"order \\#{second}" in shown and "cannot become scheduled" in shown
    assert f"none of orders \\#{first}, \\#{second} was changed" in shown
    assert table_contents(home.engine) == before
    assert orders.get_order(home.engine, SYSTEM, first).status == "draft"
    # the same choice without the taken order goes through
    app = open_as(home, "manager", PAGE)
    app.multiselect(key="schedule_ids").set_value([first])
    app.button(key="schedule_submit").click().run()
    assert f"Scheduled orders #{first}." in texts(app)
    assert orders.get_order(home.engine, SYSTEM, first).status == "scheduled"
