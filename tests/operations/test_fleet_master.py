"""Running the fleet's master data from the dashboards, through the services, on SQLite and on
a real PostgreSQL: product edits with a version check and dated prices, machine setup, bulk
route assignment, retire and restore, the master-data files out and back in.

Expected values are the seeded world's (``ops_world``: P1 Cola 1.50 in the first slot of all
three machines, P2 Chips 1.00 only in A1's slot A2) or worked by hand (GTIN check digits).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ops_world import seed, table_contents
from sqlalchemy import Engine, func, select

from operations import audit
from operations.errors import Conflict, NotAllApplied, ValidationError
from operations.importer import import_master_data
from operations.permissions import SYSTEM, Actor
from operations.schema import Cabinet, Device, PlanogramVersion, Product, ProductPriceChange
from operations.services import fleet, masterdata, orders, products
from operations.services.masterdata_files import export_files
from transforms.spreadsheet import write_rows

MAX = Actor(username="max", role="manager")
TODAY = date(2026, 12, 7)


@pytest.fixture
def seeded(migrated: Engine) -> Engine:
    seed(migrated)
    return migrated


def _version(engine: Engine, code: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(Product.row_version).where(Product.code == code)).scalar_one()
        )


def _edit(engine: Engine, seen: int, **changes: object) -> Product:
    fields: dict[str, object] = {
        "name": "Cola",
        "category": "Drinks",
        "cost": "0.50",
        "size": "M",
        "barcode": "",
        "image_url": "",
        "price": "1.50",
        "effective_on": TODAY,
    } | changes
    return products.edit_product(engine, MAX, "P1", seen_version=seen, today=TODAY, **fields)


def test_second_editor_is_refused_and_nothing_is_half_written(seeded: Engine) -> None:
    opened = _version(seeded, "P1")
    _edit(seeded, opened, name="Cola Zero")  # the first editor saves
    before = table_contents(seeded)
    with pytest.raises(Conflict, match="changed since you opened it"):
        _edit(seeded, opened, name="Cola Light", price="1.80")  # the second one, same version
    assert table_contents(seeded) == before
    with seeded.connect() as connection:
        name, price = connection.execute(
            select(Product.name, Product.price_cents).where(Product.code == "P1")
        ).one()
    assert (name, price) == ("Cola Zero", 150)


def test_edit_fields_are_checked_by_name_and_nothing_is_written(seeded: Engine) -> None:
    seen = _version(seeded, "P1")
    before = table_contents(seeded)
    # 4006381333931 is a valid EAN-13 (check digit worked by hand): the last digit changed
    cases = {
        "barcode": {"barcode": "4006381333932"},
        "image_url": {"image_url": "javascript:alert(1)"},
        "price": {"price": "1.505"},
        "cost": {"cost": "-1"},
        "size": {"size": "XL"},
        "name": {"name": ""},
        "effective_on": {"price": "2.00", "effective_on": "tomorrow"},
    }
    for field, change in cases.items():
        with pytest.raises(ValidationError) as refused:
            _edit(seeded, seen, **change)
        assert refused.value.field == field
    assert table_contents(seeded) == before
    saved = _edit(seeded, seen, barcode="4006381333931", image_url="https://img.example/cola.png")
    assert (saved.barcode, saved.image_url) == ("4006381333931", "https://img.example/cola.png")


def test_a_price_from_a_later_day_waits_for_it(seeded: Engine) -> None:
    _edit(seeded, _version(seeded, "P1"), price="1.75", effective_on=date(2026, 12, 10))
    assert _price(seeded, "P1") == 150
    assert products.pending_price_changes(seeded, MAX) == [("P1", date(2026, 12, 10), 150, 175)]
    assert products.apply_due_price_changes(seeded, SYSTEM, date(2026, 12, 9)) == 0
    assert _price(seeded, "P1") == 150
    assert products.apply_due_price_changes(seeded, SYSTEM, date(2026, 12, 10)) == 1
    assert _price(seeded, "P1") == 175
    assert products.pending_price_changes(seeded, MAX) == []
    entries = audit.list_entries(seeded, SYSTEM, entity="product", actions=["price"])
    assert [e.entity_key for e in entries] == ["P1"]


def test_a_price_from_today_applies_at_once(seeded: Engine) -> None:
    _edit(seeded, _version(seeded, "P1"), price="1.60", effective_on=TODAY)
    assert _price(seeded, "P1") == 160
    with seeded.connect() as connection:
        changes = connection.execute(
            select(ProductPriceChange.old_price_cents, ProductPriceChange.price_cents)
        ).all()
    assert [tuple(c) for c in changes] == [(150, 160)]


def _price(engine: Engine, code: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(Product.price_cents).where(Product.code == code)).scalar_one()
        )


def test_price_reach_names_the_machines_holding_the_product(seeded: Engine) -> None:
    chips = products.price_reach(seeded, MAX, "P2")
    assert [(r.asset_number, r.cabinet_index, r.slots, r.slot_price_cents) for r in chips] == [
        ("A1", 1, ("A2",), (100,))
    ]
    cola = products.price_reach(seeded, MAX, "P1")
    assert sorted(r.asset_number for r in cola) == ["A1", "A2", "A3"]
    assert {r.route for r in cola} == {"R1", "R2"}


def test_add_machine_with_cabinets_all_or_nothing(seeded: Engine) -> None:
    def add(cabinets: list[fleet.CabinetSpec]) -> Device:
        return fleet.add_machine(
            seeded,
            MAX,
            asset_number="A9",
            dex_serial="S-A9",
            model="Crane 187",
            device_type="snack",
            location_code="L1",
            route_code="R1",
            telemetry=False,
            service_days="1000100",
            cabinets=cabinets,
        )

    before = table_contents(seeded)
    good = fleet.CabinetSpec("Ambient 5x8", 5, 8)
    with pytest.raises(ValidationError) as refused:
        add([good, fleet.CabinetSpec("Cooler 5x8", 30, 8)])
    assert refused.value.field == "cabinet 2 rows"
    assert table_contents(seeded) == before
    add([good, fleet.CabinetSpec("Cooler 5x8", 5, 8)])
    with seeded.connect() as connection:
        kinds = connection.execute(
            select(Cabinet.cabinet_index, Cabinet.cabinet_type)
            .join(Device, Cabinet.device_id == Device.id)
            .where(Device.asset_number == "A9")
            .order_by(Cabinet.cabinet_index)
        ).all()
    assert [tuple(k) for k in kinds] == [(1, "Ambient 5x8"), (2, "Cooler 5x8")]
    with pytest.raises(ValidationError, match="already used by another machine"):
        add([good])


def test_bulk_route_assignment_moves_all_or_none(seeded: Engine) -> None:
    before = table_contents(seeded)
    with pytest.raises(NotAllApplied, match="machine A404"):
        fleet.assign_route(seeded, MAX, ["A1", "A404"], "R2")
    assert table_contents(seeded) == before
    assert fleet.assign_route(seeded, MAX, ["A1", "A3", "A2"], "R2") == 2  # A2 was on R2
    routes = {m.asset_number: m.route_code for m in fleet.list_machines(seeded, MAX)}
    assert routes == {"A1": "R2", "A2": "R2", "A3": "R2"}


def test_a_retired_machine_keeps_its_history_and_comes_back(seeded: Engine) -> None:
    with seeded.connect() as connection:
        versions = connection.execute(select(func.count()).select_from(PlanogramVersion)).scalar()
    masterdata.delete(seeded, MAX, "device", "A3")
    retired = {m.asset_number: m.retired for m in fleet.list_machines(seeded, MAX)}
    assert retired == {"A1": False, "A2": False, "A3": True}
    with seeded.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(PlanogramVersion)).scalar()
            == versions
        )
    fleet.restore(seeded, MAX, "device", "A3")
    restored = {m.asset_number: (m.retired, m.route_code) for m in fleet.list_machines(seeded, MAX)}
    assert restored["A3"] == (False, "R1")
    with pytest.raises(Exception, match="retired device 'A3' not found"):
        fleet.restore(seeded, MAX, "device", "A3")


def test_a_machine_with_an_open_order_is_not_retired(seeded: Engine) -> None:
    with seeded.connect() as connection:
        cabinet = connection.execute(
            select(Cabinet.id).join(Device).where(Device.asset_number == "A3")
        ).scalar_one()
    order = orders.create_order(
        seeded,
        MAX,
        route_code="R1",
        planned_date=TODAY,
        cabinets={cabinet: []},
        order_type="repair",
    )
    with pytest.raises(
        ValidationError, match=rf"device='A3': has open service orders \(#{order.id}\)"
    ):
        masterdata.delete(seeded, MAX, "device", "A3")
    retired = {m.asset_number: m.retired for m in fleet.list_machines(seeded, MAX)}
    assert retired["A3"] is False, "nothing written"
    orders.cancel_order(seeded, MAX, order.id, reason="machine leaves the site")
    masterdata.delete(seeded, MAX, "device", "A3")
    assert {m.asset_number: m.retired for m in fleet.list_machines(seeded, MAX)}["A3"] is True


def test_move_machine_changes_place_and_route(seeded: Engine) -> None:
    masterdata.save_location(
        seeded,
        MAX,
        code="L2",
        name="Mall",
        address="Road 2",
        latitude="47.1",
        longitude="8.1",
        traffic="low",
    )
    fleet.move_machine(seeded, MAX, "A1", location_code="L2", route_code="")
    row = next(m for m in fleet.list_machines(seeded, MAX) if m.asset_number == "A1")
    assert (row.location_code, row.route_code) == ("L2", None)
    entries = audit.list_entries(seeded, SYSTEM, entity="device", actions=["move"])
    assert [e.entity_key for e in entries] == ["A1"]


def test_exported_files_import_back_unchanged(seeded: Engine, tmp_path: Path) -> None:
    fleet.assign_route(seeded, MAX, ["A1"], "R1")
    masterdata.save_route(
        seeded, MAX, code="R1", name="North", driver="dave", service_days="1010100"
    )
    tables = export_files(seeded, MAX)
    for file, (header, rows) in tables.items():
        with (tmp_path / file).open("w", newline="", encoding="utf-8") as handle:
            write_rows(handle, header, rows)
    # the seeded world, counted by hand: 2 products, 1 location, 2 routes, 3 devices and
    # cabinets, 4 planogram slots
    assert {file: len(rows) for file, (_, rows) in tables.items()} == {
        "products.csv": 2,
        "locations.csv": 1,
        "routes.csv": 2,
        "devices.csv": 3,
        "cabinets.csv": 3,
        "planograms.csv": 4,
    }
    before = table_contents(seeded)
    report = import_master_data(seeded, tmp_path, actor=MAX)
    assert report.total("unchanged") == 15, report.rows
    assert table_contents(seeded) == before


def test_an_upload_of_some_files_imports_only_those(seeded: Engine, tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        "product_id,name,category,price,cost,size,barcode\n"
        "P3,Water,Drinks,1.00,0.20,S,96385074\n"
        "P4,Juice,Drinks,2.00,0.80,M,96385075\n",
        encoding="utf-8",
    )
    report = import_master_data(seeded, tmp_path, actor=MAX, files=["products.csv"])
    assert [(r.line, r.outcome, r.field) for r in report.rows] == [
        (2, "created", ""),
        (3, "rejected", "barcode"),
    ]
