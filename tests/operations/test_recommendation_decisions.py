"""Accepting and rejecting planogram recommendations (operations.services.recommendations).

The seeded world (ops_world): cabinet of machine A1 (serial S-A1, route R1, driver dave) holds
A1 → P1 "Cola" cap 8 par 6 at 1.50 and A2 → P2 "Chips" cap 10 par 5 at 1.00. Expected values
below are written from that, not read back from the code under test.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from ops_world import World, active_slots, table_contents
from sqlalchemy import select, text

from operations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from operations.permissions import SYSTEM
from operations.schema import (
    AuditEntry,
    Device,
    PlanogramVersion,
    RecommendationDecision,
    ServiceOrder,
)
from operations.services import devices, planograms, recommendations
from operations.services.recommendations import RecommendationSpec

SWAP_A2 = RecommendationSpec(
    recommendation_id="m1:S-A1:1:A2",
    machine_serial="S-A1",
    cabinet=1,
    slot="A2",
    change="swap",
    current_product_id="P2",
    recommended_product_id="P1",
    capacity=9,
    par_level=7,
    source="ai",
    model_version="m1",
    run_id="run-1",
)
PAR_A1 = RecommendationSpec(
    recommendation_id="m1:S-A1:1:A1",
    machine_serial="S-A1",
    cabinet=1,
    slot="A1",
    change="par",
    current_product_id="P1",
    recommended_product_id="P1",
    capacity=8,
    par_level=8,
    model_version="m1",
)


def test_accept_creates_version_order_and_decisions(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    done = recommendations.accept_recommendations(
        world.engine,
        max_,
        cabinet,
        [SWAP_A2, PAR_A1],
        note="more cola",
        planned_date="2026-12-07",
    )
    # A2 becomes Cola at the Cola master price 1.50; A1 keeps Cola with par 8
    assert active_slots(world.engine, cabinet) == {"A1": ("P1", 8, 8, 150), "A2": ("P1", 9, 7, 150)}
    assert done.planogram_version is not None and done.planogram_version.version == 2
    order = done.service_order
    assert order is not None
    assert (order.status, order.driver_username, order.created_by) == ("draft", "dave", "max")
    assert str(order.planned_date) == "2026-12-07"
    items = {
        (i.slot, i.product.code, i.quantity_planned) for oc in order.cabinets for i in oc.items
    }
    assert items == {("A2", "P1", 7), ("A1", "P1", 8)}
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(
                RecommendationDecision.recommendation_id,
                RecommendationDecision.decision,
                RecommendationDecision.decided_by,
                RecommendationDecision.planogram_version_id,
                RecommendationDecision.service_order_id,
                RecommendationDecision.source,
            ).order_by(RecommendationDecision.recommendation_id)
        ).all()
        versions = connection.execute(
            select(PlanogramVersion.id).where(PlanogramVersion.cabinet_id == cabinet)
        ).all()
        audit_rows = connection.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_key, AuditEntry.actor)
            .where(AuditEntry.actor == "max")
            .order_by(AuditEntry.id)
        ).all()
    version_id = done.planogram_version.id
    assert [tuple(r) for r in rows] == [
        ("m1:S-A1:1:A1", "accepted", "max", version_id, order.id, "optimiser"),
        ("m1:S-A1:1:A2", "accepted", "max", version_id, order.id, "ai"),
    ]
    assert len(versions) == 2  # the seeded v1 and exactly one new one
    assert [tuple(r) for r in audit_rows] == [
        ("new_version", "planogram", f"cabinet {cabinet} v2", "max"),
        ("create", "service_order", str(order.id), "max"),
        ("accept", "recommendation", "m1:S-A1:1:A2", "max"),
        ("accept", "recommendation", "m1:S-A1:1:A1", "max"),
    ]
    history = planograms.planogram_history(world.engine, max_, cabinet)
    assert "accepted 2 recommendation(s)" in history[-1].note
    assert "more cola" in history[-1].note


def test_a_decided_recommendation_cannot_be_decided_again(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    recommendations.reject_recommendations(
        world.engine, max_, cabinet, [SWAP_A2], reason="Chips sell well here"
    )
    before = table_contents(world.engine)
    with pytest.raises(Conflict, match="already rejected by max"):
        recommendations.accept_recommendations(world.engine, max_, cabinet, [SWAP_A2, PAR_A1])
    with pytest.raises(Conflict, match="already rejected"):
        recommendations.reject_recommendations(world.engine, max_, cabinet, [SWAP_A2], reason="x")
    assert table_contents(world.engine) == before


def test_reject_records_reason_and_changes_no_planogram(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    slots_before = active_slots(world.engine, cabinet)
    done = recommendations.reject_recommendations(
        world.engine, max_, cabinet, [SWAP_A2], reason="  Kunde möchte Chips 🥔 "
    )
    assert [(d.decision, d.reason) for d in done.decisions] == [
        ("rejected", "Kunde möchte Chips 🥔")
    ]
    assert done.planogram_version is None and done.service_order is None
    assert active_slots(world.engine, cabinet) == slots_before
    with world.engine.connect() as connection:
        entry = connection.execute(
            select(AuditEntry).where(AuditEntry.entity == "recommendation")
        ).one()
    assert (entry.action, entry.entity_key, entry.actor) == ("reject", "m1:S-A1:1:A2", "max")
    assert json.loads(entry.after)["reason"] == "Kunde möchte Chips 🥔"
    listed = recommendations.list_decisions(world.engine, world.actors["vic"], cabinet_id=cabinet)
    assert [d.recommendation_id for d in listed] == ["m1:S-A1:1:A2"]


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("<script>alert(1)</script>", "must not contain"),
        ("x'; DROP TABLE recommendation_decisions; --", "must not contain ;"),
        ("x" * 1001, "longer than 1000"),
        (None, "must be text"),
    ],
)
def test_reject_needs_a_clean_reason(reason: object, problem: str, world: World) -> None:
    before = table_contents(world.engine)
    with pytest.raises(ValidationError, match=problem) as refused:
        recommendations.reject_recommendations(
            world.engine, world.actors["max"], world.cabinets["A1"], [SWAP_A2], reason=reason
        )
    assert refused.value.field == "reason"
    assert table_contents(world.engine) == before


BAD_SPECS = {
    "other machine": (replace(SWAP_A2, machine_serial="S-A2"), ValidationError, "not for cabinet"),
    "other cabinet index": (replace(SWAP_A2, cabinet=2), ValidationError, "not for cabinet"),
    "stale product": (replace(SWAP_A2, current_product_id="P1"), Conflict, "now holds P2"),
    "slot not in planogram": (
        replace(SWAP_A2, slot="C3", recommendation_id="m1:S-A1:1:C3"),
        Conflict,
        "not in the active",
    ),
    "slot outside cabinet": (replace(SWAP_A2, slot="Z99"), ValidationError, "outside"),
    "unknown product": (replace(SWAP_A2, recommended_product_id="P404"), NotFound, "P404"),
    "par above capacity": (replace(SWAP_A2, par_level=10), ValidationError, "between 0 and 9"),
    "keep": (replace(SWAP_A2, change="keep"), ValidationError, "changes nothing"),
    "unknown source": (replace(SWAP_A2, source="oracle"), ValidationError, "optimiser, ai"),
    "markup id": (replace(SWAP_A2, recommendation_id="<b>x</b>"), ValidationError, "contain"),
    "huge id": (replace(SWAP_A2, recommendation_id="x" * 5000), ValidationError, "longer"),
    "not a spec": ({"slot": "A2"}, ValidationError, "RecommendationSpec"),
}


@pytest.mark.parametrize("case", BAD_SPECS, ids=str)
def test_bad_recommendations_change_nothing(case: str, world: World) -> None:
    spec, error, message = BAD_SPECS[case]
    before = table_contents(world.engine)
    with pytest.raises(error, match=message):
        recommendations.accept_recommendations(
            world.engine, world.actors["max"], world.cabinets["A1"], [PAR_A1, spec]
        )
    assert table_contents(world.engine) == before


def test_a_recommendation_under_an_alias_serial_is_for_the_same_machine(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    with world.engine.connect() as connection:
        device_id = connection.scalar(select(Device.id).where(Device.asset_number == "A1"))
    devices.add_serial_alias(world.engine, SYSTEM, device_id, "S-A1-NEW")
    done = recommendations.accept_recommendations(
        world.engine, max_, cabinet, [replace(PAR_A1, machine_serial="S-A1-NEW")]
    )
    assert [d.machine_serial for d in done.decisions] == ["S-A1-NEW"]
    assert active_slots(world.engine, cabinet)["A1"] == ("P1", 8, 8, 150)


def test_same_slot_twice_and_empty_selection_are_refused(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    twin = replace(SWAP_A2, recommendation_id="m2:S-A1:1:A2", model_version="m2")
    with pytest.raises(ValidationError, match="two recommendations"):
        recommendations.accept_recommendations(world.engine, max_, cabinet, [SWAP_A2, twin])
    with pytest.raises(ValidationError, match="at least one"):
        recommendations.accept_recommendations(world.engine, max_, cabinet, [])
    with pytest.raises(NotFound, match="cabinet"):
        recommendations.accept_recommendations(world.engine, max_, 999, [SWAP_A2])


# a trigger that makes every decision insert fail, in each database's own dialect
REFUSE_DECISIONS = {
    "sqlite": (
        "CREATE TRIGGER refuse_decisions BEFORE INSERT ON recommendation_decisions "
        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION refuse_decisions() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$",
        "CREATE TRIGGER refuse_decisions BEFORE INSERT ON recommendation_decisions "
        "FOR EACH ROW EXECUTE FUNCTION refuse_decisions()",
    ),
}


def test_accept_is_atomic_when_the_last_write_fails(world: World) -> None:
    """A real trigger makes the decision insert fail: no version, no order may remain."""
    with world.engine.begin() as connection:
        for statement in REFUSE_DECISIONS[world.engine.dialect.name]:
            connection.execute(text(statement))
    before = table_contents(world.engine)
    with pytest.raises(Exception, match="refused for the test"):
        recommendations.accept_recommendations(
            world.engine, world.actors["max"], world.cabinets["A1"], [SWAP_A2]
        )
    assert table_contents(world.engine) == before
    with world.engine.connect() as connection:
        assert connection.scalar(select(ServiceOrder.id).order_by(ServiceOrder.id.desc())) == 4


@pytest.mark.parametrize("user", ["vic", "dave"])
def test_viewer_and_driver_cannot_decide(user: str, world: World) -> None:
    actor, cabinet = world.actors[user], world.cabinets["A1"]
    before = table_contents(world.engine)
    with pytest.raises(PermissionDenied, match=r"recommendation\.decide"):
        recommendations.accept_recommendations(world.engine, actor, cabinet, [SWAP_A2])
    with pytest.raises(PermissionDenied, match=r"recommendation\.decide"):
        recommendations.reject_recommendations(world.engine, actor, cabinet, [SWAP_A2], reason="no")
    assert table_contents(world.engine) == before


def test_driver_cannot_read_decisions(world: World) -> None:
    with pytest.raises(PermissionDenied, match=r"recommendation\.read"):
        recommendations.list_decisions(world.engine, world.actors["dave"])


def test_from_row_takes_the_warehouse_columns() -> None:
    row = {
        "recommendation_id": "m1:S-A1:1:A2",
        "run_id": "run-1",
        "machine_serial": "S-A1",
        "asset_number": "A1",
        "cabinet": 1,
        "slot": "A2",
        "selection": "11",
        "current_product_id": "P2",
        "recommended_product_id": "P1",
        "change": "swap",
        "capacity": 9,
        "par_level": 7,
        "source": "ai",
        "model_version": "m1",
        "expected_weekly_units": 12.5,
    }
    spec = RecommendationSpec.from_row(row)
    assert replace(spec, selection=None, asset_number=None) == SWAP_A2


@pytest.mark.parametrize(
    "made_up",
    ["invented-by-hand", "m1:S-A1:1:A3", "m9:S-A1:1:A2", "m1:S-A2:1:A2", "m1:S-A1:2:A2"],
)
def test_a_made_up_recommendation_id_is_not_logged_as_a_decision(
    made_up: str, world: World, unchanged: None
) -> None:
    forged = replace(SWAP_A2, recommendation_id=made_up)  # source "ai", model m1, slot A2
    with pytest.raises(ValidationError, match=rf"^recommendation_id='{made_up}': is not the id"):
        recommendations.accept_recommendations(
            world.engine, world.actors["max"], world.cabinets["A1"], [forged]
        )
    with pytest.raises(ValidationError, match="recommendation_id"):
        recommendations.reject_recommendations(
            world.engine, world.actors["max"], world.cabinets["A1"], [forged], reason="no"
        )


# Issue 19: DEX reports Cola (P1) in A2, where the planogram still names Chips (P2), and the
# optimiser keeps Cola: the office records it, nobody goes to the machine.
RECORD_A2 = replace(SWAP_A2, change="record", capacity=8, par_level=6, source="optimiser")


def _orders(world: World) -> list[int]:
    with world.engine.connect() as connection:
        return list(connection.scalars(select(ServiceOrder.id).order_by(ServiceOrder.id)))


def test_accepting_a_record_changes_the_planogram_without_an_order(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    orders_before = _orders(world)
    done = recommendations.accept_recommendations(world.engine, max_, cabinet, [RECORD_A2])
    # A2 becomes Cola at its master price 1.50, A1 is untouched; no order, no visit
    assert active_slots(world.engine, cabinet) == {"A1": ("P1", 8, 6, 150), "A2": ("P1", 8, 6, 150)}
    assert done.service_order is None and _orders(world) == orders_before
    assert done.planogram_version is not None and done.planogram_version.version == 2
    (decision,) = done.decisions
    assert (decision.change, decision.decision, decision.service_order_id) == (
        "record",
        "accepted",
        None,
    )
    assert decision.planogram_version_id == done.planogram_version.id
    with world.engine.connect() as connection:
        audit_rows = connection.execute(
            select(AuditEntry.action, AuditEntry.entity, AuditEntry.entity_key)
            .where(AuditEntry.actor == "max")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in audit_rows] == [
        ("new_version", "planogram", f"cabinet {cabinet} v2"),
        ("accept", "recommendation", "m1:S-A1:1:A2"),
    ]


def test_a_record_accepted_with_a_change_puts_only_the_change_on_the_order(world: World) -> None:
    max_, cabinet = world.actors["max"], world.cabinets["A1"]
    done = recommendations.accept_recommendations(world.engine, max_, cabinet, [RECORD_A2, PAR_A1])
    order = done.service_order
    assert order is not None
    assert {(i.slot, i.quantity_planned) for oc in order.cabinets for i in oc.items} == {("A1", 8)}
    assert {d.slot: d.service_order_id for d in done.decisions} == {"A1": order.id, "A2": None}


@pytest.mark.parametrize("user", ["vic", "dave"])
def test_viewer_and_driver_cannot_record(user: str, world: World) -> None:
    before = table_contents(world.engine)
    with pytest.raises(PermissionDenied, match=r"recommendation\.decide"):
        recommendations.accept_recommendations(
            world.engine, world.actors[user], world.cabinets["A1"], [RECORD_A2]
        )
    assert table_contents(world.engine) == before
