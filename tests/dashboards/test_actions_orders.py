"""The Orders page: an order for any machine on a date without a plan (quantities prefilled
from par, compared with the planogram read straight from the database), a departed driver's
open orders handed to another driver, history per machine, and who may open the page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from operations.schema import AuditEntry, ServiceOrder
from operations.services import order_desk, orders, users
from operations.services.orders import ItemSpec
from tests.dashboards.actions_home import ActionsHome, actions_home_fixture, open_as  # noqa: F401
from tests.dashboards.conftest import OTHER_DRIVER, USERS, assert_clean, texts
from tests.operations.ops_world import table_contents

PAGE = "app_pages/orders.py"
NO_PLAN_DAY = date(2031, 3, 4)  # far past the demo data: no visit plan, so par fills in


def _first_machine(home: ActionsHome) -> str:
    rows = home.sql("SELECT asset_number FROM cabinets ORDER BY asset_number LIMIT 1")
    return str(rows[0][0])


def _par_levels(home: ActionsHome, asset: str) -> set[tuple[int, str, int]]:
    """(cabinet id, slot, par) of the machine's active planograms, par > 0, by plain SQL."""
    query = text(
        "SELECT c.id, s.slot, s.par_level FROM planogram_slots s"
        " JOIN planogram_versions v ON v.id = s.version_id AND v.is_active"
        " JOIN cabinets c ON c.id = v.cabinet_id JOIN devices d ON d.id = c.device_id"
        " WHERE d.asset_number = :asset AND s.par_level > 0"
    )
    with home.engine.connect() as connection:
        return {(int(c), str(s), int(p)) for c, s, p in connection.execute(query, {"asset": asset})}


def _open_orders_of(home: ActionsHome, driver: str) -> set[int]:
    with home.engine.connect() as connection:
        rows = connection.execute(
            select(ServiceOrder.id).where(
                ServiceOrder.driver_username == driver,
                ServiceOrder.status.in_(("draft", "scheduled", "in_progress")),
            )
        )
        return {int(r.id) for r in rows}


@pytest.mark.parametrize("role", ["driver", "viewer"])
def test_the_page_is_for_managers_and_admins(role: str, actions_home: ActionsHome) -> None:
    """The page is not even registered for other roles (menus follow the role)."""
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_as(actions_home, role, PAGE)


def test_manager_creates_an_urgent_order_for_any_machine_on_any_date(
    actions_home: ActionsHome,
) -> None:
    home = actions_home
    asset = _first_machine(home)
    expected = _par_levels(home, asset)
    assert expected, "the demo machine has a planogram with par levels"
    app = open_as(home, "manager", PAGE)
    assert_clean(app)
    app.multiselect(key="new_machines").set_value([asset]).run()
    app.date_input(key="new_date").set_value(NO_PLAN_DAY).run()
    app.selectbox(key="new_priority").set_value("urgent").run()
    app.text_input(key="new_note").input("**fair** day [x](y)").run()
    app.button(key="new_submit").click().run()
    assert_clean(app)
    assert not app.error, [e.value for e in app.error]
    with Session(home.engine) as orm:
        made = orm.scalars(select(ServiceOrder).order_by(ServiceOrder.id.desc()).limit(1)).one()
    with home.engine.connect() as connection:
        items = connection.execute(
            text(
                "SELECT c.cabinet_id, i.slot, i.quantity_planned FROM service_order_items i"
                " JOIN service_order_cabinets c ON c.id = i.order_cabinet_id"
                " WHERE c.order_id = :id"
            ),
            {"id": made.id},
        ).all()
    assert made.note == "**fair** day [x](y)"
    assert (made.status, made.planned_date, made.priority, made.order_type) == (
        "draft",
        NO_PLAN_DAY,
        "urgent",
        "restock",
    )
    assert {(int(c), str(s), int(q)) for c, s, q in items} == expected
    assert f"Created draft order #{made.id} (restock, urgent)" in texts(app)


def test_manager_hands_a_departed_drivers_open_orders_to_another_driver(
    actions_home: ActionsHome,
) -> None:
    home = actions_home
    leaving, taking_over = USERS["driver"][0], OTHER_DRIVER[0]
    asset = _first_machine(home)
    cabinet = min(c for c, _, _ in _par_levels(home, asset))
    slot = min(s for c, s, _ in _par_levels(home, asset) if c == cabinet)
    manager = home.actors["manager"]
    # the driver leaves (open orders handed over on the way out), but the route still names
    # them: orders made for it afterwards are the departed driver's until handed over
    users.deactivate_user(home.engine, home.actors["admin"], leaving, reassign_to=taking_over)
    for day in ("2031-05-01", "2031-05-02"):
        order_desk.create_machine_order(
            home.engine, manager, cabinets={cabinet: [ItemSpec(slot, 1)]}, planned_date=day
        )
    stuck = _open_orders_of(home, leaving)
    assert len(stuck) == 2
    app = open_as(home, "manager", PAGE)
    app.selectbox(key="all_from").set_value(leaving)
    app.selectbox(key="all_to_driver").set_value(taking_over)
    app.button(key="all_submit").click().run()
    assert_clean(app)
    assert not app.error, [e.value for e in app.error]
    assert f"Handed {len(stuck)} open orders of {leaving} over" in texts(app)
    assert _open_orders_of(home, leaving) == set()
    assert stuck <= _open_orders_of(home, taking_over)
    with home.engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntry.entity_key).where(
                AuditEntry.action == "order.assign", AuditEntry.actor == "max"
            )
        ).all()
    assert {str(i) for i in stuck} <= {row.entity_key for row in audited}


def test_history_per_machine_lists_its_orders(actions_home: ActionsHome) -> None:
    home = actions_home
    asset = _first_machine(home)
    with home.engine.connect() as connection:
        count = connection.execute(
            text(
                "SELECT count(DISTINCT o.id) FROM service_orders o"
                " JOIN service_order_cabinets oc ON oc.order_id = o.id"
                " JOIN cabinets c ON c.id = oc.cabinet_id JOIN devices d ON d.id = c.device_id"
                " WHERE d.asset_number = :asset"
            ),
            {"asset": asset},
        ).scalar_one()
    app = open_as(home, "manager", PAGE)
    app.radio(key="h_per").set_value("machine").run()
    app.selectbox(key="h_which").set_value(asset).run()
    assert_clean(app)
    assert f"{count} orders" in [c.value for c in app.caption]


def test_manager_completes_an_order_for_its_driver_and_a_no_op_correction_is_refused(
    actions_home: ActionsHome,
) -> None:
    home = actions_home
    asset = _first_machine(home)
    cabinet, slot, _ = min(_par_levels(home, asset))
    manager = home.actors["manager"]
    made = order_desk.create_machine_order(
        home.engine, manager, cabinets={cabinet: [ItemSpec(slot, 2)]}, planned_date="2031-07-01"
    )
    orders.schedule_order(home.engine, manager, made.id)
    app = open_as(home, "manager", PAGE)
    app.selectbox(key="behalf_id").set_value(made.id).run()
    app.text_input(key="behalf_reason").input("the driver's phone broke").run()
    app.button(key="behalf_submit").click().run()
    assert_clean(app)
    assert not app.error, [e.value for e in app.error]
    with home.engine.connect() as connection:
        status, by = connection.execute(
            text("SELECT status, completed_by FROM service_orders WHERE id = :i"), {"i": made.id}
        ).one()
        delivered = (
            connection.execute(
                text(
                    "SELECT i.quantity_delivered FROM service_order_items i JOIN"
                    " service_order_cabinets c ON c.id = i.order_cabinet_id WHERE c.order_id = :i"
                ),
                {"i": made.id},
            )
            .scalars()
            .all()
        )
        audited = connection.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE action = 'order.complete_for'"
                " AND entity_key = :k AND actor = 'max'"
            ),
            {"k": str(made.id)},
        ).scalar_one()
    assert (status, by, delivered, audited) == ("completed", "max", [2], 1)
    # the table starts from what was delivered: saving it unchanged corrects nothing
    before = table_contents(home.engine)
    app.selectbox(key="correct_id").set_value(made.id).run()
    app.text_input(key="correct_reason").input("recount").run()
    app.button(key="correct_submit").click().run()
    assert "changes nothing" in texts(app)
    assert table_contents(home.engine) == before
