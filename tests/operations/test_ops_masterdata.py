"""Master data, devices and planograms through the services: unknown serials, soft delete,
planogram versions, export, and bad input (clear error, nothing changed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from ops_world import World, table_contents

from operations import audit, db
from operations import validation as check
from operations.errors import Conflict, NotFound, ValidationError
from operations.permissions import SYSTEM
from operations.schema import Device
from operations.services import devices, masterdata, planograms

SEEN = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)


def test_unknown_serial_is_registered_once_and_waits_for_a_manager(world: World) -> None:
    manager = world.actors["max"]
    first = devices.register_unknown_device(world.engine, "NEW-777", seen_at=SEEN)
    again = devices.register_unknown_device(world.engine, "NEW-777", seen_at=datetime.now(UTC))
    assert again.id == first.id
    assert (first.asset_number, first.location_id, first.first_seen_at) == (None, None, SEEN)
    assert [d.dex_serial for d in devices.list_unassigned_devices(world.engine, manager)] == [
        "NEW-777"
    ]
    registrations = [e for e in audit.list_entries(world.engine, manager) if e.action == "register"]
    assert [(e.actor, e.entity_key) for e in registrations] == [("system", "NEW-777")]

    devices.place_device(
        world.engine, manager, first.id, asset_number="A9", location_code="L1", route_code="R2"
    )
    assert devices.list_unassigned_devices(world.engine, manager) == []
    rows = {d["asset_number"]: d for d in masterdata.export_tables(world.engine)["devices"]}
    assert (rows["A9"]["dex_serial"], rows["A9"]["route_id"]) == ("NEW-777", "R2")


def test_known_serial_or_alias_is_not_registered_again(world: World) -> None:
    before = table_contents(world.engine)
    known = devices.register_unknown_device(world.engine, "S-A1", seen_at=SEEN)
    assert known.asset_number == "A1"
    assert table_contents(world.engine) == before
    devices.add_serial_alias(world.engine, world.actors["max"], known.id, "S-A1-OLD")
    assert devices.register_unknown_device(world.engine, "S-A1-OLD", seen_at=SEEN).id == known.id


def test_serials_stay_unique_across_devices_and_aliases(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="already belongs to A1"):
        devices.add_serial_alias(world.engine, world.actors["max"], 2, "S-A1")


def test_saving_a_device_adopts_its_auto_registered_twin(world: World) -> None:
    twin = devices.register_unknown_device(world.engine, "SN-NEW", seen_at=SEEN)
    saved = devices.save_device(
        world.engine,
        world.actors["max"],
        asset_number="A50",
        dex_serial="SN-NEW",
        model="Royal",
        device_type="cold drink",
        location_code="L1",
        route_code="R1",
        telemetry="false",
        service_days="0000011",
    )
    assert saved.record.id == twin.id
    assert saved.record.first_seen_at == SEEN
    assert devices.list_unassigned_devices(world.engine, world.actors["max"]) == []


def test_soft_delete_hides_but_keeps_the_row(world: World) -> None:
    manager = world.actors["max"]
    masterdata.delete(world.engine, manager, "product", "P2")
    assert [p.code for p in masterdata.list_products(world.engine, manager)] == ["P1"]
    rows = {row[1]: row for row in table_contents(world.engine)["products"]}
    assert "P2" in rows
    deletions = [e for e in audit.list_entries(world.engine, manager) if e.action == "delete"]
    assert [(e.entity, e.entity_key, e.actor) for e in deletions] == [("product", "P2", "max")]
    with pytest.raises(NotFound, match="P2"):
        planograms.new_planogram_version(
            world.engine,
            manager,
            world.cabinets["A3"],
            [planograms.SlotSpec("A1", "1", "P2", 5, 2, "1")],
        )


def test_planogram_versions_keep_history_and_one_active(world: World) -> None:
    manager, cabinet = world.actors["max"], world.cabinets["A3"]
    version = planograms.new_planogram_version(
        world.engine,
        manager,
        cabinet,
        [planograms.SlotSpec("A1", "10", "P2", 9, 9, "0.95")],
        note="accepted recommendation 17",
    )
    assert version.version == 2
    history = planograms.planogram_history(world.engine, manager, cabinet)
    assert [(v.version, v.is_active, v.created_by) for v in history] == [
        (1, False, "system"),
        (2, True, "max"),
    ]
    assert history[1].note == "accepted recommendation 17"
    active = planograms.get_active_planogram(world.engine, world.actors["vic"], cabinet)
    assert active == [planograms.SlotRow("A1", "10", "P2", 9, 9, 95)]


def test_export_tables_for_the_warehouse(world: World) -> None:
    tables = masterdata.export_tables(world.engine)
    assert {t: len(rows) for t, rows in tables.items()} == {
        "products": 2,
        "locations": 1,
        "routes": 2,
        "devices": 3,
        "cabinets": 3,
        "planogram_slots": 4,
        "planogram_history": 4,  # one version per cabinet so far: history = active slots
        "recommendation_decisions": 0,  # none decided yet
    }
    a1_slots = [s for s in tables["planogram_slots"] if s["asset_number"] == "A1"]
    assert [
        (s["slot"], s["product_id"], s["capacity"], s["par_level"], s["price_cents"])
        for s in a1_slots
    ] == [
        ("A1", "P1", 8, 6, 150),
        ("A2", "P2", 10, 5, 100),
    ]


def test_unicode_names_round_trip(world: World) -> None:
    name = "Café Zürich – 東京駅 O'Brien's"
    saved = masterdata.save_location(
        world.engine,
        world.actors["max"],
        code="L-2",
        name=name,
        address="Bahnhofstrasse 1, 8001 Zürich",
        latitude=47.37,
        longitude=8.54,
        traffic="medium",
    )
    assert saved.outcome == "created"
    exported = {r["location_id"]: r for r in masterdata.export_tables(world.engine)["locations"]}
    assert exported["L-2"]["name"] == name


PRODUCT = {
    "code": "P7",
    "name": "Tea",
    "category": "Drinks",
    "price": "2.00",
    "cost": "0.80",
    "size": "M",
}
BAD_PRODUCTS = {
    "sql injection in name": ({"name": "'; DROP TABLE users; --"}, "name"),
    "markup in name": ({"name": "<script>alert(1)</script>"}, "name"),
    "injection in code": ({"code": "P7' OR '1'='1"}, "product_id"),
    "empty name": ({"name": "   "}, "name"),
    "huge name": ({"name": "x" * 10_000}, "name"),
    "control character": ({"name": "Tea\x00"}, "name"),
    "name wrong type": ({"name": 42}, "name"),
    "price wrong type": ({"price": 1.5}, "price"),
    "price not a number": ({"price": "cheap"}, "price"),
    "price negative": ({"price": "-1"}, "price"),
    "price too precise": ({"price": "1.505"}, "price"),
    "price NaN": ({"price": "NaN"}, "price"),
    "unknown size": ({"size": "XL"}, "size"),
    "code missing": ({"code": None}, "product_id"),
}


@pytest.mark.parametrize("case", BAD_PRODUCTS, ids=list(BAD_PRODUCTS))
def test_bad_products_are_refused_and_change_nothing(
    case: str, world: World, unchanged: None
) -> None:
    overrides, field = BAD_PRODUCTS[case]
    with pytest.raises(ValidationError) as refused:
        masterdata.save_product(world.engine, world.actors["max"], **(PRODUCT | overrides))
    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}=")


BAD_REFERENCES = {
    "unknown location": ({"location_code": "L404"}, NotFound, "location"),
    "unknown route": ({"route_code": "R404"}, NotFound, "route"),
    "serial taken": ({"dex_serial": "S-A2"}, ValidationError, "dex_serial"),
    "bad weekday mask": ({"service_days": "MTWTFSS"}, ValidationError, "service_days"),
    "telemetry wrong type": ({"telemetry": "maybe"}, ValidationError, "telemetry"),
}


@pytest.mark.parametrize("case", BAD_REFERENCES, ids=list(BAD_REFERENCES))
def test_devices_with_bad_references_change_nothing(
    case: str, world: World, unchanged: None
) -> None:
    overrides, error, word = BAD_REFERENCES[case]
    device = {
        "asset_number": "A77",
        "dex_serial": "S-A77",
        "model": "Crane",
        "device_type": "snack",
        "location_code": "L1",
        "route_code": "R1",
        "telemetry": True,
        "service_days": "1111100",
    }
    with pytest.raises(error, match=word):
        devices.save_device(world.engine, world.actors["max"], **(device | overrides))


BAD_SLOTS = {
    "par above capacity": (planograms.SlotSpec("A1", "10", "P1", 5, 6, "1"), "par_level"),
    "outside the grid": (planograms.SlotSpec("F1", "10", "P1", 5, 2, "1"), "slot"),
    "column outside": (planograms.SlotSpec("A9", "10", "P1", 5, 2, "1"), "slot"),
    "malformed slot": (planograms.SlotSpec("1A", "10", "P1", 5, 2, "1"), "slot"),
    "capacity wrong type": (planograms.SlotSpec("A1", "10", "P1", "five", 2, "1"), "capacity"),
    "unknown product": (planograms.SlotSpec("A1", "10", "P404", 5, 2, "1"), "product"),
}


@pytest.mark.parametrize("case", BAD_SLOTS, ids=list(BAD_SLOTS))
def test_bad_planograms_change_nothing(case: str, world: World, unchanged: None) -> None:
    spec, word = BAD_SLOTS[case]
    good = planograms.SlotSpec("B1", "20", "P2", 5, 2, "1")
    with pytest.raises((ValidationError, NotFound), match=word):
        planograms.new_planogram_version(
            world.engine, world.actors["max"], world.cabinets["A1"], [good, spec]
        )


def test_duplicate_selection_in_one_planogram_is_refused(world: World, unchanged: None) -> None:
    slots = [
        planograms.SlotSpec("A1", "10", "P1", 5, 2, "1"),
        planograms.SlotSpec("A2", "10", "P2", 5, 2, "1"),
    ]
    with pytest.raises(ValidationError, match="selection='10': appears twice"):
        planograms.new_planogram_version(world.engine, SYSTEM, world.cabinets["A1"], slots)


def test_naive_seen_at_is_refused(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="seen_at"):
        devices.register_unknown_device(world.engine, "X1", seen_at=datetime(2026, 1, 1))


def test_a_failed_call_inside_a_caller_transaction_undoes_only_itself(world: World) -> None:
    """Given a session already in a transaction, services use a savepoint; the caller commits."""
    manager = world.actors["max"]
    with db.session_factory(world.engine)() as session, session.begin():
        masterdata.save_route(session, manager, code="R7", name="East", driver="")
        with pytest.raises(NotFound):  # raised inside the service's savepoint
            devices.save_device(
                session,
                manager,
                asset_number="A8",
                dex_serial="S-A8",
                model="Crane",
                device_type="snack",
                location_code="L404",
                route_code="R7",
                telemetry=True,
                service_days="1111100",
            )
        masterdata.save_route(session, manager, code="R9", name="West", driver="")
    codes = [r.code for r in masterdata.list_routes(world.engine, manager)]
    assert codes == ["R1", "R2", "R7", "R9"]


def test_a_deleted_device_reporting_again_is_restored_unassigned(world: World) -> None:
    """Its sales are kept: the serial resolves to the same device, audited by SYSTEM."""
    manager = world.actors["max"]
    with db.transaction(world.engine) as session:
        original = devices.device_by_serial(session, "S-A3")
        assert original is not None
        device_id = original.id
    masterdata.delete(world.engine, manager, "device", "A3")
    masterdata.delete(world.engine, manager, "location", "L1")  # its placement is gone too
    restored = devices.register_unknown_device(world.engine, "S-A3", seen_at=SEEN)
    assert restored.id == device_id
    assert (restored.deleted_at, restored.location_id) == (None, None)
    assert [d.id for d in devices.list_unassigned_devices(world.engine, manager)] == [device_id]
    again = devices.register_unknown_device(world.engine, "S-A3", seen_at=SEEN)
    assert again.id == device_id
    restores = [e for e in audit.list_entries(world.engine, manager) if e.action == "restore"]
    assert [(e.actor, e.entity, e.entity_key) for e in restores] == [("system", "device", "A3")]
    assert "reported again" in (restores[0].after or "")


def test_a_deleted_device_keeps_a_live_placement_when_restored(world: World) -> None:
    manager = world.actors["max"]
    masterdata.delete(world.engine, manager, "device", "A3")
    restored = devices.register_unknown_device(world.engine, "S-A3", seen_at=SEEN)
    assert restored.asset_number == "A3"
    assert restored.location_id is not None
    assert "A3" in {d["asset_number"] for d in masterdata.export_tables(world.engine)["devices"]}


def test_a_deleted_devices_alias_is_restored_too(world: World) -> None:
    manager = world.actors["max"]
    with db.transaction(world.engine) as session:
        device = devices.device_by_serial(session, "S-A3")
        assert device is not None
        device_id = device.id
    devices.add_serial_alias(world.engine, manager, device_id, "S-A3-OLD")
    masterdata.delete(world.engine, manager, "device", "A3")
    assert devices.register_unknown_device(world.engine, "S-A3-OLD", seen_at=SEEN).id == device_id


def test_saving_another_device_with_a_deleted_devices_serial_is_a_conflict(
    world: World,
) -> None:
    manager = world.actors["max"]
    with db.transaction(world.engine) as session:
        a1 = devices.device_by_serial(session, "S-A1")
        assert a1 is not None
        a1_id = a1.id
    masterdata.delete(world.engine, manager, "device", "A3")
    before = table_contents(world.engine)
    arguments = {
        "dex_serial": "S-A3",
        "model": "Royal",
        "device_type": "snack",
        "location_code": "L1",
        "route_code": "R1",
        "telemetry": "true",
        "service_days": "1111100",
    }
    with pytest.raises(Conflict, match="deleted device A3"):
        devices.save_device(world.engine, manager, asset_number="A77", **arguments)
    with pytest.raises(Conflict, match="deleted device A3"):
        devices.add_serial_alias(world.engine, manager, a1_id, "S-A3")
    assert table_contents(world.engine) == before
    # saving the deleted device itself by its asset number restores it
    assert devices.save_device(world.engine, manager, asset_number="A3", **arguments).outcome == (
        "updated"
    )


def test_saving_a_device_adopts_a_deleted_unassigned_twin(world: World) -> None:
    twin = devices.register_unknown_device(world.engine, "SN-GONE", seen_at=SEEN)
    with db.transaction(world.engine) as session:
        session.get_one(Device, twin.id).deleted_at = SEEN  # as masterdata.delete would
    saved = devices.save_device(
        world.engine,
        world.actors["max"],
        asset_number="A51",
        dex_serial="SN-GONE",
        model="Royal",
        device_type="cold drink",
        location_code="L1",
        route_code="R1",
        telemetry="false",
        service_days="0000011",
    )
    assert (saved.record.id, saved.record.deleted_at) == (twin.id, None)


def test_export_tables_skip_the_planogram_slots_of_deleted_devices(world: World) -> None:
    masterdata.delete(world.engine, world.actors["max"], "device", "A3")
    tables = masterdata.export_tables(world.engine)
    assert {d["asset_number"] for d in tables["devices"]} == {"A1", "A2"}
    assert {c["asset_number"] for c in tables["cabinets"]} == {"A1", "A2"}
    assert {s["asset_number"] for s in tables["planogram_slots"]} == {"A1", "A2"}
    assert len(tables["planogram_slots"]) == 3
    assert [c for c, _ in masterdata.export_columns()["planogram_slots"]] == list(
        tables["planogram_slots"][0]
    )


@pytest.mark.parametrize("name", ["Bob", "bob/ops", "bob smith", "-bob", "bob!"])
def test_username_errors_state_the_rule_that_is_applied(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check.username("username", name)
    message = str(refused.value)
    assert "lower-case letters, digits and . _ -" in message
    assert "/" not in message.split(": ", 1)[1]
    assert check.username("username", " bob.smith_2-x ") == "bob.smith_2-x"
