"""Service orders from a visit plan (operations.services.visit_orders).

Seeded world (ops_world): machines A1 (cabinet slots A1, A2) and A3 (slot A1) on route R1
(driver dave), A2 on R2; orders 1-3 on R1 for 2026-12-01 hold machine A1's cabinet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ops_world import World, table_contents
from sqlalchemy import select

from operations.errors import NotFound, PermissionDenied, ValidationError
from operations.schema import AuditEntry
from operations.services import orders
from operations.services.visit_orders import PlanPick, create_orders_from_plan

DAY = "2026-12-09"


def _items(order: orders.ServiceOrder) -> set[tuple[int, str, int]]:
    return {(oc.cabinet_id, i.slot, i.quantity_planned) for oc in order.cabinets for i in oc.items}


def test_one_scheduled_order_per_machine_with_the_plan_picks(world: World) -> None:
    a1, a3 = world.cabinets["A1"], world.cabinets["A3"]
    picks = [PlanPick(a1, "A1", 3), PlanPick(a1, "A2", 0), PlanPick(a3, "A1", "4")]
    result = create_orders_from_plan(
        world.engine, world.actors["max"], route_code="R1", planned_date=DAY, picks=picks
    )
    assert result.skipped == {}
    assert [_items(o) for o in result.created] == [{(a1, "A1", 3)}, {(a3, "A1", 4)}]
    assert {(o.status, o.driver_username, str(o.planned_date)) for o in result.created} == {
        ("scheduled", "dave", DAY)
    }
    on_day = orders.list_orders(
        world.engine, world.actors["dave"], planned_date=result.created[0].planned_date
    )
    assert sorted(o.id for o in on_day) == sorted(o.id for o in result.created)
    with world.engine.connect() as connection:
        trail = connection.execute(
            select(AuditEntry.action, AuditEntry.entity_key)
            .where(AuditEntry.actor == "max")
            .order_by(AuditEntry.id)
        ).all()
    first, second = (str(o.id) for o in result.created)
    assert [tuple(t) for t in trail] == [
        ("create", first),
        ("order.schedule", first),
        ("create", second),
        ("order.schedule", second),
    ]


def test_second_call_creates_nothing_and_says_why(world: World) -> None:
    max_, a1, a3 = world.actors["max"], world.cabinets["A1"], world.cabinets["A3"]
    picks = [PlanPick(a1, "A1", 3), PlanPick(a3, "A1", 4)]
    first = create_orders_from_plan(
        world.engine, max_, route_code="R1", planned_date=DAY, picks=picks
    )
    before = table_contents(world.engine)
    again = create_orders_from_plan(
        world.engine, max_, route_code="R1", planned_date=DAY, picks=picks
    )
    assert again.created == []
    ids = [o.id for o in first.created]
    assert again.skipped == {
        "A1": f"order {ids[0]} already exists for {DAY}",
        "A3": f"order {ids[1]} already exists for {DAY}",
    }
    assert table_contents(world.engine) == before


def test_existing_order_blocks_only_its_machine_and_cancelled_ones_do_not(world: World) -> None:
    max_, a1, a3 = world.actors["max"], world.cabinets["A1"], world.cabinets["A3"]
    picks = [PlanPick(a1, "A2", 2), PlanPick(a3, "A1", 1)]
    # orders 1 (draft), 2 (scheduled), 3 (in progress) hold A1 on 2026-12-01
    result = create_orders_from_plan(
        world.engine, max_, route_code="R1", planned_date="2026-12-01", picks=picks
    )
    assert list(result.skipped) == ["A1"]
    assert "already exists" in result.skipped["A1"]
    assert [_items(o) for o in result.created] == [{(a3, "A1", 1)}]
    for order_id in (1, 2, 3):
        orders.cancel_order(world.engine, max_, order_id, reason="replanned")
    retry = create_orders_from_plan(
        world.engine, max_, route_code="R1", planned_date="2026-12-01", picks=picks
    )
    assert [_items(o) for o in retry.created] == [{(a1, "A2", 2)}]
    assert "already exists" in retry.skipped["A3"]


def test_machine_with_only_zero_picks_gets_no_order(world: World) -> None:
    a1, a3 = world.cabinets["A1"], world.cabinets["A3"]
    result = create_orders_from_plan(
        world.engine,
        world.actors["ann"],
        route_code="R1",
        planned_date=DAY,
        picks=[PlanPick(a1, "A1", 0), PlanPick(a1, "A2", 0), PlanPick(a3, "A1", 5)],
        schedule=False,
    )
    assert result.skipped == {"A1": "nothing to load (every pick is 0)"}
    assert [(o.status, _items(o)) for o in result.created] == [("draft", {(a3, "A1", 5)})]


BAD = {
    "other route's cabinet": ({"picks": "R2"}, ValidationError, "is not on route R1"),
    "unknown cabinet": ({"cabinet": 999}, NotFound, "cabinet"),
    "slot not in planogram": ({"slot": "B7"}, ValidationError, "not in the planogram"),
    "negative quantity": ({"quantity": -1}, ValidationError, "between 0 and 999"),
    "quantity above capacity": ({"quantity": 9}, ValidationError, "between 0 and 8"),
    "text quantity": ({"quantity": "3; DROP TABLE service_orders"}, ValidationError, "whole"),
    "bad date": ({"date": "2026-13-40"}, ValidationError, "YYYY-MM-DD"),
    "markup route": ({"route": "<b>R1</b>"}, ValidationError, "letters, digits"),
    "no picks": ({"empty": True}, ValidationError, "no picks"),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_plans_create_nothing(case: str, world: World) -> None:
    change, error, message = BAD[case]
    good = PlanPick(world.cabinets["A3"], "A1", 2)
    bad = PlanPick(
        world.cabinets["A2"]
        if change.get("picks") == "R2"
        else change.get("cabinet", world.cabinets["A1"]),
        change.get("slot", "A1"),
        change.get("quantity", 1),
    )
    before = table_contents(world.engine)
    with pytest.raises(error, match=message):
        create_orders_from_plan(
            world.engine,
            world.actors["max"],
            route_code=change.get("route", "R1"),
            planned_date=change.get("date", DAY),
            picks=[] if change.get("empty") else [good, bad],
        )
    assert table_contents(world.engine) == before


@pytest.mark.parametrize("user", ["vic", "dave"])
def test_viewer_and_driver_cannot_create_orders_from_a_plan(user: str, world: World) -> None:
    before = table_contents(world.engine)
    with pytest.raises(PermissionDenied, match=r"order\.create"):
        create_orders_from_plan(
            world.engine,
            world.actors[user],
            route_code="R1",
            planned_date=DAY,
            picks=[PlanPick(world.cabinets["A3"], "A1", 2)],
        )
    assert table_contents(world.engine) == before


def test_from_row_reads_the_warehouse_columns() -> None:
    row = {"plan_date": DAY, "cabinet_id": 7, "slot": "B2", "quantity": 4, "product_id": "P1"}
    assert PlanPick.from_row(row) == PlanPick(7, "B2", 4)


def test_from_row_takes_data_frame_values_as_they_were_meant() -> None:
    """A pandas column with a NULL turns whole numbers into floats and NULL into NaN."""
    frame = pd.DataFrame({"cabinet_id": [7, None], "slot": ["B2", "C1"], "quantity": [4, 2]})
    rows = frame.to_dict("records")
    assert PlanPick.from_row(rows[0]) == PlanPick(7, "B2", 4)
    assert PlanPick.from_row(rows[1]) == PlanPick(None, "C1", 2)
    assert PlanPick.from_row(
        {"cabinet_id": np.int64(3), "slot": "A1", "quantity": np.float64(2.5)}
    ) == PlanPick(3, "A1", 2.5)
