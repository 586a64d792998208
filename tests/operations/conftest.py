"""Fixtures for the operational database: a migrated, seeded SQLite file per test.

The seeded world is built once per session through the service layer and copied for each test,
so every test gets a real, private database file in its own temp folder in milliseconds.

The world (every number below is what the tests compare against):
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

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from operations import auth, db
from operations.permissions import SYSTEM, Actor
from operations.schema import Base, Cabinet, Device, User
from operations.services import devices, masterdata, orders, planograms, users

auth.use_fast_hashing_for_tests()

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


def _seed(engine: Engine) -> None:
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
    ids = _cabinet_ids(engine)
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


def _cabinet_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(Device.asset_number, Cabinet.id).join(Cabinet, Cabinet.device_id == Device.id)
        )
        return {str(asset): int(cabinet_id) for asset, cabinet_id in rows}


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded database file, built once."""
    path = tmp_path_factory.mktemp("template") / "cvd.sqlite"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.connect(url)
    _seed(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the main file
    assert not path.with_name("cvd.sqlite-wal").exists()
    return path


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Iterator[World]:
    """A private copy of the seeded database for one test."""
    path = tmp_path / "db" / "cvd.sqlite"
    path.parent.mkdir()
    shutil.copy(world_template, path)
    url = f"sqlite:///{path}"
    engine = db.connect(url)
    with engine.connect() as connection:
        user_rows = connection.execute(select(User.username, User.role, User.id)).all()
    actors = {name: Actor(username=name, role=role, user_id=uid) for name, role, uid in user_rows}
    yield World(
        url=url,
        engine=engine,
        actors=actors,
        cabinets=_cabinet_ids(engine),
        orders={"draft": 1, "scheduled": 2, "in_progress": 3, "erin_in_progress": 4},
    )
    engine.dispose()


def table_contents(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (and the migration version), for 'nothing changed' checks."""
    contents: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for table in [*Base.metadata.sorted_tables, "alembic_version"]:
            name = table if isinstance(table, str) else table.name
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            contents[name] = sorted((tuple(row) for row in rows), key=repr)
    return contents


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    """Assert, after the test body, that no table changed at all."""
    before = table_contents(world.engine)
    yield
    assert table_contents(world.engine) == before
