"""The seeded world the operational tests share (imported by conftest and the tests).

Every number below is what the tests compare against:
- products P1 "Cola" 1.50 and P2 "Chips" 1.00; location L1; routes R1 (driver dave) and
  R2 (driver erin).
- device A1 (serial S-A1) and A3 (serial S-A3) on R1, device A2 (serial S-A2) on R2, each
  with one 5×8 cabinet. Planograms: A1: A1 → P1 cap 8 par 6, A2 → P2 cap 10 par 5;
  A3: A1 → P1 cap 8 par 6; A2: A1 → P1 cap 8 par 6.
- users ann (admin), max (manager), dave and erin (drivers), vic (viewer); password
  ``correct-horse-1``.
- orders on R1: ``draft`` (cabinet A1: A1 × 5), ``scheduled`` and ``in_progress`` (same items);
  on R2: ``erin_in_progress`` (cabinet A2: A1 × 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select, text

from operations.permissions import SYSTEM, Actor
from operations.schema import (
    Base,
    Cabinet,
    Device,
    PlanogramSlot,
    PlanogramVersion,
    Product,
)
from operations.services import devices, masterdata, orders, planograms, users

PASSWORD = "correct-horse-1"
USERS = {"ann": "admin", "max": "manager", "dave": "driver", "erin": "driver", "vic": "viewer"}


@dataclass(frozen=True)
class World:
    """The seeded database of one test, with handles to what the tests touch."""

    url: str
    engine: Engine
    actors: dict[str, Actor]
    cabinets: dict[str, int]  # asset number → cabinet id
    orders: dict[str, int]  # label → order id


def seed(engine: Engine) -> None:
    masterdata.save_product(
        engine,
        SYSTEM,
        code="P1",
        name="Cola",
        category="Drinks",
        price="1.50",
        cost="0.50",
        size="M",
    )
    masterdata.save_product(
        engine,
        SYSTEM,
        code="P2",
        name="Chips",
        category="Snacks",
        price="1.00",
        cost="0.30",
        size="S",
    )
    masterdata.save_location(
        engine,
        SYSTEM,
        code="L1",
        name="Station",
        address="Square 1",
        latitude="47.0",
        longitude="8.0",
        traffic="high",
    )
    masterdata.save_route(engine, SYSTEM, code="R1", name="North", driver="dave")
    masterdata.save_route(engine, SYSTEM, code="R2", name="South", driver="erin")
    slot_a1 = planograms.SlotSpec("A1", "10", "P1", 8, 6, "1.50")
    for asset, route in (("A1", "R1"), ("A3", "R1"), ("A2", "R2")):
        devices.save_device(
            engine,
            SYSTEM,
            asset_number=asset,
            dex_serial=f"S-{asset}",
            model="Crane 187",
            device_type="snack",
            location_code="L1",
            route_code=route,
            telemetry=True,
            service_days="1010100",
        )
        cabinet = devices.save_cabinet(
            engine,
            SYSTEM,
            asset_number=asset,
            cabinet_index=1,
            cabinet_type="Ambient 5x8",
            rows=5,
            columns=8,
        ).record
        slots = [slot_a1]
        if asset == "A1":
            slots.append(planograms.SlotSpec("A2", "11", "P2", 10, 5, "1.00"))
        planograms.new_planogram_version(engine, SYSTEM, cabinet.id, slots)
    for username, role in USERS.items():
        users.add_user(engine, SYSTEM, username=username, role=role, password=PASSWORD)
    ids = cabinet_ids(engine)
    r1_items = {ids["A1"]: [orders.ItemSpec("A1", 5)]}
    for _ in range(3):
        orders.create_order(
            engine, SYSTEM, route_code="R1", planned_date="2026-12-01", cabinets=r1_items
        )
    orders.schedule_order(engine, SYSTEM, 2)
    orders.schedule_order(engine, SYSTEM, 3)
    orders.start_order(engine, SYSTEM, 3)
    erin = orders.create_order(
        engine,
        SYSTEM,
        route_code="R2",
        planned_date="2026-12-01",
        cabinets={ids["A2"]: [orders.ItemSpec("A1", 2)]},
    )
    orders.schedule_order(engine, SYSTEM, erin.id)
    orders.start_order(engine, SYSTEM, erin.id)


def cabinet_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Device.asset_number, Cabinet.id).join(Cabinet, Cabinet.device_id == Device.id)
        )
        return {str(asset): int(cabinet_id) for asset, cabinet_id in rows}


def table_contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (and the migration version), for 'nothing changed' checks."""
    contents: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for table in [*Base.metadata.sorted_tables, "alembic_version"]:
            name = table if isinstance(table, str) else table.name
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            contents[name] = sorted((tuple(row) for row in rows), key=repr)
    return contents


def active_slots(engine: Engine, cabinet: int) -> dict[str, tuple[str, int, int, int]]:
    """The cabinet's active planogram: slot → (product code, capacity, par, price cents)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                PlanogramSlot.slot,
                Product.code,
                PlanogramSlot.capacity,
                PlanogramSlot.par_level,
                PlanogramSlot.price_cents,
            )
            .join(PlanogramVersion, PlanogramSlot.version_id == PlanogramVersion.id)
            .join(Product, PlanogramSlot.product_id == Product.id)
            .where(PlanogramVersion.cabinet_id == cabinet, PlanogramVersion.is_active)
        )
        return {slot: (code, cap, par, price) for slot, code, cap, par, price in rows}
