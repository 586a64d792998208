"""Service orders: the life cycle, delivered quantities, pick lists, illegal transitions."""

from __future__ import annotations

import json

import pytest
from ops_world import World, table_contents
from sqlalchemy import select

from operations import audit
from operations.errors import (
    Conflict,
    NotAllApplied,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from operations.permissions import SYSTEM
from operations.schema import AuditEntry, ServiceOrder, ServiceOrderItem
from operations.services import masterdata, orders, users


def test_full_life_cycle_records_who_did_what(world: World) -> None:
    max_, dave = world.actors["max"], world.actors["dave"]
    a1, a3 = world.cabinets["A1"], world.cabinets["A3"]
    order = orders.create_order(
        world.engine,
        max_,
        route_code="R1",
        planned_date="2026-12-05",
        cabinets={
            a1: [orders.ItemSpec("A1", 5), orders.ItemSpec("A2", 3)],
            a3: [orders.ItemSpec("A1", 4)],
        },
    )
    assert (order.status, order.driver_username, order.created_by) == ("draft", "dave", "max")
    orders.schedule_order(world.engine, max_, order.id)
    orders.start_order(world.engine, dave, order.id)
    done = orders.complete_order(
        world.engine, dave, order.id, {(a1, "A1"): 5, (a1, "A2"): 2, (a3, "A1"): 4}
    )
    assert done.status == "completed"
    assert (done.scheduled_by, done.started_by, done.completed_by) == ("max", "dave", "dave")
    assert done.scheduled_at <= done.started_at <= done.completed_at
    delivered = {
        (oc.cabinet_id, i.slot): i.quantity_delivered for oc in done.cabinets for i in oc.items
    }
    assert delivered == {(a1, "A1"): 5, (a1, "A2"): 2, (a3, "A1"): 4}
    # A1 → P1 in both cabinets (5 + 4 planned), A2 → P2 (3 planned, 2 delivered)
    assert orders.pick_list(world.engine, dave, order.id) == [
        orders.PickLine("P1", "Cola", 9, 9),
        orders.PickLine("P2", "Chips", 3, 2),
    ]
    trail = [
        (e.action, e.actor)
        for e in audit.list_entries(world.engine, max_, entity="service_order")
        if e.entity_key == str(order.id)
    ]
    assert trail == [
        ("order.complete", "dave"),
        ("order.start", "dave"),
        ("order.schedule", "max"),
        ("create", "max"),
    ]


def test_slots_left_out_of_completion_count_as_nothing_delivered(world: World) -> None:
    order_id = world.orders["in_progress"]
    done = orders.complete_order(world.engine, world.actors["dave"], order_id, {})
    assert [i.quantity_delivered for oc in done.cabinets for i in oc.items] == [0]


def test_cancel_releases_the_order_with_reason(world: World) -> None:
    cancelled = orders.cancel_order(
        world.engine, world.actors["max"], world.orders["scheduled"], reason="machine removed"
    )
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        "cancelled",
        "machine removed",
        "max",
    )
    assert orders.list_orders(world.engine, world.actors["max"], status="scheduled") == []


ILLEGAL = [
    ("draft", "start"),
    ("draft", "complete"),
    ("scheduled", "schedule"),
    ("scheduled", "complete"),
    ("in_progress", "schedule"),
    ("in_progress", "start"),
]


@pytest.mark.parametrize(("label", "step"), ILLEGAL)
def test_illegal_transitions_are_refused(
    label: str, step: str, world: World, unchanged: None
) -> None:
    admin, order_id = world.actors["ann"], world.orders[label]
    calls = {
        "schedule": lambda: orders.schedule_order(world.engine, admin, order_id),
        "start": lambda: orders.start_order(world.engine, admin, order_id),
        "complete": lambda: orders.complete_order(world.engine, admin, order_id, {}),
    }
    with pytest.raises(Conflict, match=f"is {label}"):
        calls[step]()


def test_finished_orders_stay_finished(world: World) -> None:
    admin, order_id = world.actors["ann"], world.orders["in_progress"]
    orders.complete_order(world.engine, admin, order_id, {})
    before = table_contents(world.engine)
    with pytest.raises(Conflict):
        orders.cancel_order(world.engine, admin, order_id, reason="too late")
    orders.cancel_order(world.engine, admin, world.orders["draft"], reason="dup")
    with pytest.raises(Conflict):
        orders.schedule_order(world.engine, admin, world.orders["draft"])
    assert table_contents(world.engine)["service_orders"] != before["service_orders"]
    assert len(table_contents(world.engine)["audit_log"]) == len(before["audit_log"]) + 1


BAD_ORDERS = {
    "unknown route": ({"route_code": "R9"}, NotFound, "route"),
    "route id injection": (
        {"route_code": "R1'; DROP TABLE users; --"},
        ValidationError,
        "route_id",
    ),
    "bad date": ({"planned_date": "2026-13-40"}, ValidationError, "planned_date"),
    "date wrong type": ({"planned_date": 20261201}, ValidationError, "planned_date"),
    "no cabinets": ({"cabinets": {}}, ValidationError, "cabinets"),
    "unknown cabinet": ({"cabinets": {999: [orders.ItemSpec("A1", 1)]}}, NotFound, "cabinet"),
    "cabinet id wrong type": (
        {"cabinets": {"A1": [orders.ItemSpec("A1", 1)]}},
        ValidationError,
        "cabinet_id",
    ),
    "slot not in planogram": (None, ValidationError, "slot"),
    "quantity above capacity": (None, ValidationError, "quantity"),
    "quantity wrong type": (None, ValidationError, "quantity"),
    "cabinet on other route": (None, ValidationError, "cabinet_id"),
    "note with markup": ({"note": "<script>alert(1)</script>"}, ValidationError, "note"),
}


@pytest.mark.parametrize("case", BAD_ORDERS, ids=list(BAD_ORDERS))
def test_bad_orders_are_refused_and_change_nothing(
    case: str, world: World, unchanged: None
) -> None:
    a1, a2 = world.cabinets["A1"], world.cabinets["A2"]
    overrides, error, field = BAD_ORDERS[case]
    per_case_cabinets = {
        "slot not in planogram": {a1: [orders.ItemSpec("E8", 1)]},
        "quantity above capacity": {a1: [orders.ItemSpec("A1", 9)]},  # capacity 8
        "quantity wrong type": {a1: [orders.ItemSpec("A1", 2.5)]},
        "cabinet on other route": {a2: [orders.ItemSpec("A1", 1)]},
    }
    arguments: dict[str, object] = {
        "route_code": "R1",
        "planned_date": "2026-12-01",
        "cabinets": per_case_cabinets.get(case, {a1: [orders.ItemSpec("A1", 1)]}),
    }
    arguments.update(overrides or {})
    with pytest.raises(error) as refused:
        orders.create_order(world.engine, world.actors["max"], **arguments)  # type: ignore[arg-type]
    assert field in str(refused.value)


def test_completion_with_a_slot_not_on_the_order_is_refused(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="delivered"):
        orders.complete_order(
            world.engine,
            world.actors["dave"],
            world.orders["in_progress"],
            {(world.cabinets["A1"], "B3"): 1},
        )
    with pytest.raises(ValidationError, match="quantity_delivered"):
        orders.complete_order(
            world.engine,
            world.actors["dave"],
            world.orders["in_progress"],
            {(world.cabinets["A1"], "A1"): -1},
        )


def test_unknown_order_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="service order 404"):
        orders.get_order(world.engine, world.actors["ann"], 404)


def test_order_creation_is_one_transaction(world: World, unchanged: None) -> None:
    """The second cabinet is bad: the first cabinet's items must not be left behind."""
    with pytest.raises(ValidationError):
        orders.create_order(
            world.engine,
            world.actors["max"],
            route_code="R1",
            planned_date="2026-12-01",
            cabinets={
                world.cabinets["A1"]: [orders.ItemSpec("A1", 1)],
                world.cabinets["A3"]: [orders.ItemSpec("Z9", 1)],
            },
        )


def test_audit_keeps_before_and_after(world: World) -> None:
    orders.schedule_order(world.engine, world.actors["max"], world.orders["draft"])
    with world.engine.connect() as connection:
        entry = connection.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "order.schedule")
            .order_by(AuditEntry.id.desc())
        ).first()
        items = connection.execute(select(ServiceOrderItem)).all()
    assert entry is not None
    assert json.loads(entry.before)["status"] == "draft"
    assert json.loads(entry.after)["status"] == "scheduled"
    assert json.loads(entry.after)["scheduled_by"] == "max"
    assert len(items) == 4  # the seeded orders' items, untouched


# --- bad cabinet/item shapes: clear errors, nothing written ---


def _create(world: World, cabinets: object) -> object:
    return orders.create_order(
        world.engine,
        world.actors["max"],
        route_code="R1",
        planned_date="2026-12-01",
        cabinets=cabinets,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("case", "field", "problem"),
    [
        ("unhashable slot", "slot", "row letter and column number"),
        ("slot not text", "slot", "row letter and column number"),
        ("same cabinet as int and text", "cabinet_id", "listed twice"),
        ("empty item list", "items", "no items"),
        ("items not a list", "items", "list of ItemSpec"),
        ("items a string", "items", "list of ItemSpec"),
        ("cabinet id unhashable-ish", "cabinet_id", "whole number"),
    ],
)
def test_malformed_order_shapes_are_refused_clearly(
    case: str, field: str, problem: str, world: World, unchanged: None
) -> None:
    a1 = world.cabinets["A1"]
    cabinets = {
        "unhashable slot": {a1: [orders.ItemSpec(["A1"], 1)]},
        "slot not text": {a1: [orders.ItemSpec(1, 1)]},
        "same cabinet as int and text": {
            a1: [orders.ItemSpec("A1", 1)],
            str(a1): [orders.ItemSpec("A2", 1)],
        },
        "empty item list": {a1: []},
        "items not a list": {a1: None},
        "items a string": {a1: "A1"},
        "cabinet id unhashable-ish": {(a1,): [orders.ItemSpec("A1", 1)]},
    }[case]
    with pytest.raises(ValidationError) as refused:
        _create(world, cabinets)
    assert refused.value.field == field
    assert problem in str(refused.value)


def test_cabinet_ids_as_text_are_normalised(world: World) -> None:
    a1 = world.cabinets["A1"]
    order = _create(world, {f" {a1} ": [orders.ItemSpec(" A1 ", 2)]})
    assert isinstance(order, ServiceOrder)
    assert [(oc.cabinet_id, [i.slot for i in oc.items]) for oc in order.cabinets] == [(a1, ["A1"])]


# --- who may act on an order: its recorded driver (a manager can reassign) ---


def test_the_orders_recorded_driver_acts_even_after_the_route_changes_driver(
    world: World,
) -> None:
    """R1 is handed from dave to erin: dave's existing orders stay dave's until reassigned."""
    masterdata.save_route(world.engine, SYSTEM, code="R1", name="North", driver="erin")
    dave, erin = world.actors["dave"], world.actors["erin"]
    scheduled = world.orders["scheduled"]
    with pytest.raises(PermissionDenied):
        orders.start_order(world.engine, erin, scheduled)
    assert {o.id for o in orders.list_orders(world.engine, dave)} == {1, 2, 3}
    assert {o.id for o in orders.list_orders(world.engine, erin)} == {4}
    assert orders.get_order(world.engine, dave, scheduled).driver_username == "dave"

    orders.reassign_order(world.engine, world.actors["max"], scheduled, driver="erin")
    with pytest.raises(PermissionDenied):
        orders.start_order(world.engine, dave, scheduled)
    started = orders.start_order(world.engine, erin, scheduled)
    assert (started.driver_username, started.started_by) == ("erin", "erin")
    assert {o.id for o in orders.list_orders(world.engine, erin)} == {2, 4}
    assert {o.id for o in orders.list_orders(world.engine, dave)} == {1, 3}
    # new orders take the route's current driver
    new = _create(world, {world.cabinets["A1"]: [orders.ItemSpec("A1", 1)]})
    assert isinstance(new, ServiceOrder)
    assert new.driver_username == "erin"


def test_reassigning_is_for_managers_and_open_orders_only(world: World) -> None:
    in_progress = world.orders["in_progress"]
    before = table_contents(world.engine)
    with pytest.raises(PermissionDenied):
        orders.reassign_order(world.engine, world.actors["dave"], in_progress, driver="dave")
    with pytest.raises(ValidationError, match="driver"):
        orders.reassign_order(world.engine, world.actors["max"], in_progress, driver="Not Valid")
    assert table_contents(world.engine) == before
    orders.complete_order(world.engine, world.actors["dave"], in_progress, {})
    with pytest.raises(Conflict, match="completed"):
        orders.reassign_order(world.engine, world.actors["max"], in_progress, driver="erin")
    moved = orders.reassign_order(
        world.engine, world.actors["ann"], world.orders["draft"], driver="erin"
    )
    assert moved.driver_username == "erin"
    entry = audit.list_entries(world.engine, world.actors["ann"], entity="service_order")[0]
    assert entry.action == "order.assign"
    assert (json.loads(entry.before or "{}")["driver_username"], entry.actor) == ("dave", "ann")


def test_scheduling_several_orders_is_all_or_nothing(world: World, unchanged: None) -> None:
    draft, already = world.orders["draft"], world.orders["scheduled"]
    with pytest.raises(NotAllApplied) as refused:
        orders.schedule_orders(world.engine, world.actors["max"], [draft, already])
    message = str(refused.value)
    assert f"order #{already}" in message and "scheduled" in message
    assert f"none of orders #{draft}, #{already} was changed" in message
    assert orders.get_order(world.engine, SYSTEM, draft).status == "draft"  # not half done


def test_scheduling_several_drafts_schedules_each(world: World) -> None:
    first = world.orders["draft"]
    second = orders.create_order(
        world.engine,
        world.actors["max"],
        route_code="R1",
        planned_date="2026-12-06",
        cabinets={world.cabinets["A1"]: [orders.ItemSpec("A1", 2)]},
    ).id
    done = orders.schedule_orders(world.engine, world.actors["max"], [first, second])
    assert [(o.id, o.status, o.scheduled_by) for o in done] == [
        (first, "scheduled", "max"),
        (second, "scheduled", "max"),
    ]


@pytest.mark.parametrize(
    ("driver", "problem"),
    [
        ("vic", "the account.s role is viewer, not driver"),
        ("max", "the account.s role is manager, not driver"),
        ("nobody", "no such user account"),
    ],
)
def test_orders_are_reassigned_only_to_active_drivers(
    driver: str, problem: str, world: World, unchanged: None
) -> None:
    with pytest.raises(ValidationError, match=rf"^driver='{driver}': {problem}"):
        orders.reassign_order(
            world.engine, world.actors["max"], world.orders["draft"], driver=driver
        )


def test_orders_are_not_reassigned_to_a_deactivated_driver(world: World) -> None:
    users.deactivate_user(world.engine, world.actors["ann"], "erin", reassign_to="dave")
    before = table_contents(world.engine)
    with pytest.raises(ValidationError, match=r"^driver='erin': the account is deactivated"):
        orders.reassign_order(
            world.engine, world.actors["max"], world.orders["draft"], driver="erin"
        )
    assert table_contents(world.engine) == before


@pytest.mark.parametrize("driver", ["vic", "ann"])
def test_a_route_is_not_given_to_an_account_that_is_not_a_driver(
    driver: str, world: World, unchanged: None
) -> None:
    with pytest.raises(ValidationError, match=rf"^driver='{driver}': the account's role is"):
        masterdata.save_route(world.engine, SYSTEM, code="R1", name="North", driver=driver)


def test_a_route_may_name_a_driver_whose_account_comes_later(world: World) -> None:
    saved = masterdata.save_route(world.engine, SYSTEM, code="R5", name="New", driver="newbie")
    assert saved.record.driver_username == "newbie"


def test_completion_is_bounded_by_the_slot_capacity(world: World) -> None:
    order_id, a1 = world.orders["in_progress"], world.cabinets["A1"]
    before = table_contents(world.engine)
    # slot A1 of cabinet A1 holds 8 (ops_world): 9 or 999 cannot have been delivered
    for too_many in (9, 999):
        with pytest.raises(ValidationError, match=rf"^quantity_delivered\[{a1}/A1\]={too_many}"):
            orders.complete_order(
                world.engine, world.actors["dave"], order_id, {(a1, "A1"): too_many}
            )
    assert table_contents(world.engine) == before
    done = orders.complete_order(world.engine, world.actors["dave"], order_id, {(a1, "A1"): 8})
    assert [i.quantity_delivered for oc in done.cabinets for i in oc.items] == [8]
