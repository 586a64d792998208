"""The manager's order desk: orders for any machine, hand-overs, on-behalf work, service time.

Expected values are worked by hand from the seeded world (``ops_world``): cabinet A1 has slots
A1 (P1, capacity 8, par 6) and A2 (P2, capacity 10, par 5); A3 has A1 (P1, 8, par 6); A1 and A3
are on R1 (dave), A2 on R2 (erin). Orders 1-3 (draft, scheduled, in progress) are dave's, each
cabinet A1: slot A1 × 5; order 4 is erin's.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from ops_world import World, table_contents

from operations import audit
from operations.errors import Conflict, PermissionDenied, ValidationError
from operations.services import order_desk, orders
from operations.services.orders import ItemSpec, OrderFilter
from operations.services.service_time import ServiceTimeRates, order_minutes, route_days


def test_prefill_takes_the_plan_pick_else_par_minus_level_within_capacity(world: World) -> None:
    max_, a1, a3 = world.actors["max"], world.cabinets["A1"], world.cabinets["A3"]
    proposals = order_desk.prefill(
        world.engine,
        max_,
        [a1, a3],
        picks={(a1, "A1"): 3},
        levels={(a1, "A2"): 2, (a3, "A1"): 9},
    )
    got = {(p.cabinet_id, p.slot): (p.quantity, p.source) for p in proposals}
    # A1/A1: the plan's 3; A1/A2: par 5 − level 2 = 3; A3/A1: par 6 − level 9 < 0 → 0
    assert got == {(a1, "A1"): (3, "plan"), (a1, "A2"): (3, "par"), (a3, "A1"): (0, "par")}
    unknown = order_desk.prefill(world.engine, max_, [a1], picks={(a1, "A1"): 20})
    # a pick above capacity is capped at 8; no level known for A2: par 5
    assert [(p.slot, p.quantity) for p in unknown] == [("A1", 8), ("A2", 5)]


def test_an_order_for_two_machines_on_any_date_with_type_and_priority(world: World) -> None:
    max_ = world.actors["max"]
    cabinets = order_desk.machine_cabinets(world.engine, max_, ["A1", "A3"])
    assert cabinets == [world.cabinets["A1"], world.cabinets["A3"]]
    order = order_desk.create_machine_order(
        world.engine,
        max_,
        cabinets={
            cabinets[0]: [ItemSpec("A1", 4), ItemSpec("A2", 0)],
            cabinets[1]: [ItemSpec("A1", 8)],
        },
        planned_date="2027-01-15",
        order_type="restock",
        priority="urgent",
        note="after the fair",
    )
    assert (order.status, order.order_type, order.priority) == ("draft", "restock", "urgent")
    assert (order.route.code, order.driver_username, order.planned_date) == (
        "R1",
        "dave",
        date(2027, 1, 15),
    )
    items = {(oc.cabinet_id, i.slot): i.quantity_planned for oc in order.cabinets for i in oc.items}
    assert items == {(cabinets[0], "A1"): 4, (cabinets[1], "A1"): 8}  # the zero left out


def test_a_repair_needs_no_items_a_restock_does(world: World) -> None:
    max_, a2 = world.actors["max"], world.cabinets["A2"]
    repair = order_desk.create_machine_order(
        world.engine, max_, cabinets={a2: []}, planned_date="2027-01-02", order_type="repair"
    )
    assert (repair.order_type, repair.route.code, repair.driver_username) == (
        "repair",
        "R2",
        "erin",
    )
    with pytest.raises(ValidationError, match="has no items"):
        order_desk.create_machine_order(
            world.engine, max_, cabinets={a2: []}, planned_date="2027-01-02"
        )
    with pytest.raises(ValidationError, match="order_type"):
        order_desk.create_machine_order(
            world.engine, max_, cabinets={a2: []}, planned_date="2027-01-02", order_type="party"
        )


def test_machines_on_two_routes_are_refused_as_one_order(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="different routes"):
        order_desk.create_machine_order(
            world.engine,
            world.actors["max"],
            cabinets={world.cabinets["A1"]: [ItemSpec("A1", 1)], world.cabinets["A2"]: []},
            planned_date="2027-01-02",
            order_type="repair",
        )


def test_a_draft_is_edited_a_scheduled_order_is_not(world: World) -> None:
    max_, a1 = world.actors["max"], world.cabinets["A1"]
    edited = orders.edit_draft(
        world.engine,
        max_,
        1,
        cabinets={a1: [ItemSpec("A1", 2), ItemSpec("A2", 7)]},
        priority="urgent",
        note="edited",
    )
    items = {i.slot: i.quantity_planned for oc in edited.cabinets for i in oc.items}
    assert items == {"A1": 2, "A2": 7}
    assert (edited.priority, edited.note) == ("urgent", "edited")
    entry = audit.list_entries(world.engine, max_, actions=["order.edit"])[0]
    assert [i["planned"] for i in json.loads(entry.before or "{}")["items"]] == [5]
    with pytest.raises(Conflict, match="only drafts"):
        orders.edit_draft(world.engine, max_, 2, note="too late")


def _driver_orders(world: World, driver: str) -> set[int]:
    where = OrderFilter(driver=driver)
    return {o.id for o in orders.list_orders(world.engine, world.actors["max"], where=where)}


def test_a_drivers_open_orders_go_to_another_driver_at_once(world: World) -> None:
    max_ = world.actors["max"]
    moved = order_desk.reassign_all_open(world.engine, max_, from_driver="dave", driver="erin")
    assert sorted(o.id for o in moved) == [1, 2, 3]
    assert _driver_orders(world, "dave") == set()
    assert _driver_orders(world, "erin") == {1, 2, 3, 4}
    erin_sees = {o.id for o in orders.list_orders(world.engine, world.actors["erin"])}
    assert erin_sees == {1, 2, 3, 4}
    entries = audit.list_entries(world.engine, max_, actions=["order.assign"])
    assert sorted(int(e.entity_key) for e in entries) == [1, 2, 3]
    assert {json.loads(e.before or "{}")["driver_username"] for e in entries} == {"dave"}


def test_handing_all_open_orders_to_a_route_takes_its_driver(world: World) -> None:
    max_ = world.actors["max"]
    orders.cancel_order(world.engine, max_, 1, reason="not needed")  # a closed order stays
    moved = order_desk.reassign_all_open(world.engine, max_, from_driver="dave", route="R2")
    assert [(o.id, o.route.code, o.driver_username) for o in moved] == [
        (2, "R2", "erin"),
        (3, "R2", "erin"),
    ]
    cancelled = orders.get_order(world.engine, max_, 1)
    assert (cancelled.route.code, cancelled.driver_username) == ("R1", "dave")


def test_handing_over_to_a_non_driver_changes_nothing(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="not driver"):
        order_desk.reassign_all_open(
            world.engine, world.actors["max"], from_driver="dave", driver="vic"
        )
    with pytest.raises(ValidationError, match="no open orders"):
        order_desk.reassign_all_open(
            world.engine, world.actors["max"], from_driver="nobody", driver="erin"
        )


def test_one_order_is_moved_to_another_route(world: World) -> None:
    moved = orders.reassign_order(world.engine, world.actors["max"], 2, route="R2")
    assert (moved.route.code, moved.driver_username) == ("R2", "erin")


def test_a_manager_completes_a_scheduled_order_on_the_drivers_behalf(world: World) -> None:
    max_, a1 = world.actors["max"], world.cabinets["A1"]
    done = order_desk.complete_on_behalf(
        world.engine, max_, 2, {(a1, "A1"): 4}, reason="driver's phone broke"
    )
    assert (done.status, done.started_by, done.completed_by) == ("completed", "max", "max")
    assert [i.quantity_delivered for oc in done.cabinets for i in oc.items] == [4]
    assert all(oc.served_at is not None for oc in done.cabinets)
    entry = audit.list_entries(world.engine, max_, actions=["order.complete_for"])[0]
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert (before["status"], after["status"]) == ("scheduled", "completed")
    assert (after["reason"], after["driver"]) == ("driver's phone broke", "dave")
    with pytest.raises(Conflict):
        order_desk.complete_on_behalf(world.engine, max_, 1, {}, reason="a draft")


def test_a_correction_keeps_before_and_after(world: World) -> None:
    max_, dave, a1 = world.actors["max"], world.actors["dave"], world.cabinets["A1"]
    orders.complete_order(world.engine, dave, 3, {(a1, "A1"): 5})
    fixed = order_desk.correct_order(
        world.engine, max_, 3, {(a1, "A1"): 3}, reason="two were damaged"
    )
    assert [i.quantity_delivered for oc in fixed.cabinets for i in oc.items] == [3]
    assert fixed.corrected_by == "max"
    entry = audit.list_entries(world.engine, max_, actions=["order.correct"])[0]
    before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
    assert [i["delivered"] for i in before["items"]] == [5]
    assert [i["delivered"] for i in after["items"]] == [3]
    assert after["reason"] == "two were damaged"
    with pytest.raises(ValidationError, match="changes nothing"):
        order_desk.correct_order(world.engine, max_, 3, {(a1, "A1"): 3}, reason="again")
    with pytest.raises(ValidationError, match="between 0 and 8"):
        order_desk.correct_order(world.engine, max_, 3, {(a1, "A1"): 9}, reason="too many")


def test_only_completed_orders_are_corrected(world: World, unchanged: None) -> None:
    with pytest.raises(Conflict, match="only completed"):
        order_desk.correct_order(
            world.engine, world.actors["max"], 3, {(world.cabinets["A1"], "A1"): 1}, reason="x"
        )


def test_progress_per_cabinet(world: World) -> None:
    dave, max_ = world.actors["dave"], world.actors["max"]
    a1, a3 = world.cabinets["A1"], world.cabinets["A3"]
    orders.edit_draft(
        world.engine, max_, 1, cabinets={a1: [ItemSpec("A1", 1)], a3: [ItemSpec("A1", 2)]}
    )
    orders.schedule_order(world.engine, max_, 1)
    orders.start_order(world.engine, dave, 1)
    served = orders.serve_cabinet(world.engine, dave, 1, a3)
    assert {oc.cabinet_id: oc.served_by for oc in served.cabinets} == {a1: None, a3: "dave"}
    with pytest.raises(Conflict, match="already served"):
        orders.serve_cabinet(world.engine, dave, 1, a3)
    with pytest.raises(PermissionDenied):
        orders.serve_cabinet(world.engine, world.actors["erin"], 1, a1)
    done = orders.complete_order(world.engine, dave, 1, {(a1, "A1"): 1, (a3, "A1"): 2})
    assert {oc.cabinet_id: oc.served_by for oc in done.cabinets} == {a1: "dave", a3: "dave"}


def test_service_time_worked_by_hand(world: World) -> None:
    max_, a1, a3 = world.actors["max"], world.cabinets["A1"], world.cabinets["A3"]
    rates = ServiceTimeRates(minutes_per_stop=12, minutes_per_cabinet=3, minutes_per_unit=0.5)
    both = order_desk.create_machine_order(
        world.engine,
        max_,
        cabinets={a1: [ItemSpec("A1", 4), ItemSpec("A2", 6)], a3: [ItemSpec("A1", 8)]},
        planned_date="2026-12-01",
    )
    # 2 machines × 12 + 2 cabinets × 3 + 18 units × 0.5 = 24 + 6 + 9
    assert order_minutes(both, rates) == 39.0
    # order 1 (one machine, one cabinet, 5 units): 12 + 3 + 2.5
    assert order_minutes(orders.get_order(world.engine, max_, 1), rates) == 17.5
    orders.cancel_order(world.engine, max_, 2, reason="not needed")
    days = route_days(orders.list_orders(world.engine, max_), rates)
    r1 = [d for d in days if d.route == "R1"]
    # R1 on 2026-12-01: orders 1, 3 (17.5 each) and the new one (39); order 2 is cancelled
    assert [(d.planned_date, d.orders, d.stops, d.cabinets, d.units, d.minutes) for d in r1] == [
        (date(2026, 12, 1), 3, 4, 4, 28, 74.0)
    ]
    # order 4 (erin, R2: one machine, one cabinet, 2 units): 12 + 3 + 1; default rates 10 + 5 + 0.5
    assert [d.minutes for d in days if d.route == "R2"] == [16.0]
    r2_orders = orders.list_orders(world.engine, max_, where=OrderFilter(route="R2"))
    assert [d.minutes for d in route_days(r2_orders, ServiceTimeRates())] == [15.5]


def test_history_filters_by_machine_driver_type_and_dates(world: World) -> None:
    max_ = world.actors["max"]
    order_desk.create_machine_order(
        world.engine,
        max_,
        cabinets={world.cabinets["A3"]: []},
        planned_date="2027-02-01",
        order_type="cash_collection",
    )

    def ids(where: OrderFilter) -> list[int]:
        return [o.id for o in orders.list_orders(world.engine, max_, where=where)]

    assert ids(OrderFilter(machine="A1")) == [1, 2, 3]
    assert ids(OrderFilter(machine="A3")) == [5]
    assert ids(OrderFilter(machine="A2", driver="erin")) == [4]
    assert ids(OrderFilter(order_types=["cash_collection"])) == [5]
    assert ids(OrderFilter(date_from=date(2026, 12, 2))) == [5]
    assert ids(OrderFilter(date_to=date(2026, 12, 1), statuses=["draft", "scheduled"])) == [1, 2]
    assert ids(OrderFilter(route="R2")) == [4]
    # a driver's history is still only their own
    assert [
        o.id
        for o in orders.list_orders(
            world.engine, world.actors["erin"], where=OrderFilter(machine="A1")
        )
    ] == []
    assert table_contents(world.engine)  # the world is still readable after the filters
