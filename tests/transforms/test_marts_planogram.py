"""Sales per physical slot follow the planogram version in force when each interval ended.

A selection moves from slot A1 to B2 in a new planogram version; DEX reads before and after the
change give one interval under each version. Expected slots are read off the set-up below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import Engine

import evadts
from operations import db
from operations.permissions import Actor
from operations.services import masterdata, planogram_editor
from operations.services.planograms import SlotSpec, new_planogram_version
from tests.orchestration.pipeline import cvd, query
from transforms import lake as lake_module
from transforms.catalog import view_sql

CSV = {
    "products.csv": "product_id,name,category,price,cost,size\n"
    "P1,Cola,Drinks,1.50,0.60,M\nP2,Chips,Snacks,2.00,0.70,M\n",
    "locations.csv": "location_id,name,address,latitude,longitude,traffic\n"
    "L1,Depot,1 Main St,40.0,-75.0,high\n",
    "routes.csv": "route_id,name,driver\nR1,North,dana\n",
    "devices.csv": "asset_number,dex_serial,model,device_type,location_id,route_id,telemetry,"
    "service_days\nA1,PGM001,Test,Snack,L1,R1,true,1111111\n",
    "cabinets.csv": "asset_number,cabinet_index,cabinet_type,rows,columns\nA1,1,Ambient 5x8,5,8\n",
    "planograms.csv": "asset_number,cabinet_index,slot,selection,product_id,capacity,par_level,"
    "price\nA1,1,A1,10,P1,8,6,1.50\nA1,1,A2,11,P2,8,6,2.00\n",
}


def _read(at: datetime, cola_vends: int, chips_vends: int) -> bytes:
    selections = [
        evadts.Selection(
            selection="10",
            price=Decimal("1.50"),
            product_id="P1",
            paid_vends_total=cola_vends,
            paid_value_total=Decimal("1.50") * cola_vends,
        ),
        evadts.Selection(
            selection="11",
            price=Decimal("2.00"),
            product_id="P2",
            paid_vends_total=chips_vends,
            paid_value_total=Decimal("2.00") * chips_vends,
        ),
    ]
    return evadts.write(
        evadts.Read(
            machine=evadts.Machine(serial="PGM001", communication_id="PGM001"),
            read_at=at,
            read_at_source="ID5",
            currency=evadts.Currency(2, "USD", "1840", "iso_numeric"),
            selections=selections,
        )
    )


def _imported_home(tmp_path: Path, home: str) -> Engine:
    """A new home at ``home`` with the master data of ``CSV`` imported; its database engine."""
    masters = tmp_path / "masters"
    masters.mkdir()
    for name, text in CSV.items():
        (masters / name).write_text(text)
    assert cvd("db", "upgrade", "--home", home) == 0
    assert cvd("import", "master-data", str(masters), "--home", home) == 0
    return db.connect(f"sqlite:///{home}/cvd.sqlite")


def test_each_interval_gets_the_slot_of_the_planogram_in_force(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    engine = _imported_home(tmp_path, home)
    try:
        (cabinet,) = masterdata.export_tables(engine)["cabinets"]
        changed_at = datetime.now(UTC)
        new_planogram_version(
            engine,
            Actor("mara", "manager"),
            cabinet["cabinet_id"],
            [
                SlotSpec("B2", "10", "P1", 8, 6, Decimal("1.50")),
                SlotSpec("A2", "11", "P2", 8, 6, Decimal("2.00")),
            ],
            note="cola moves to B2",
        )
    finally:
        engine.dispose()
    t = changed_at.replace(tzinfo=None)  # the machine clock, here set to UTC
    inbox = tmp_path / "home" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for n, (at, cola, chips) in enumerate(
        [
            (t - timedelta(days=2), 100, 50),
            (t - timedelta(days=1), 104, 51),
            (t + timedelta(hours=1), 107, 53),
        ]
    ):
        (inbox / f"read{n}.dex").write_bytes(_read(at, cola, chips))
    assert cvd("materialize", "--home", home) == 0
    rows = query(
        tmp_path / "home",
        """
        SELECT selection, period_end, units_sold, slot, planogram_version
        FROM fct_slot_sales_by_slot ORDER BY selection, period_end""",
    )
    # cola: 4 sold in the interval ending a day before the change (slot A1, version 1),
    # 3 in the one ending an hour after it (slot B2, version 2); chips stay in A2
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("10", 4, "A1", 1),
        ("10", 3, "B2", 2),
        ("11", 1, "A2", 1),
        ("11", 2, "A2", 2),
    ]


def _history_periods(engine: Engine, lake: Path) -> dict[int, tuple[object, object]]:
    """planogram_history's (valid_from, valid_to) per version, from a master-data snapshot
    published to ``lake`` as the master_data asset publishes it."""
    rows = masterdata.export_tables(engine)["planogram_history"]
    lake_module.publish(lake / "master" / "planogram_history", pa.Table.from_pylist(rows))
    con = duckdb.connect()
    try:
        con.execute(view_sql("master", "planogram_history", lake))
        found = con.execute(
            "SELECT DISTINCT planogram_version, valid_from, valid_to FROM planogram_history"
        ).fetchall()
    finally:
        con.close()
    return {version: (start, end) for version, start, end in found}


def test_a_version_saved_for_a_later_day_is_in_force_from_that_day(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    engine = _imported_home(tmp_path, home)
    manager = Actor("mara", "manager")
    moved = [
        SlotSpec("B2", "10", "P1", 8, 6, Decimal("1.50")),
        SlotSpec("A2", "11", "P2", 8, 6, Decimal("2.00")),
    ]
    try:
        (cabinet,) = masterdata.export_tables(engine)["cabinets"]
        today = datetime.now(UTC).date()
        later = today + timedelta(days=3)
        planogram_editor.save_edit(
            engine, manager, cabinet["cabinet_id"], moved, opened_version=1, effective_date=later
        )
        periods = _history_periods(engine, tmp_path / "lake")
        midnight = datetime(later.year, later.month, later.day)
        # the machine keeps version 1 until the changeover day; version 2 starts that midnight
        assert periods == {1: (None, midnight), 2: (midnight, None)}

        # a third version in force today overtakes the second, which never reaches the machine
        before = datetime.now(UTC).replace(tzinfo=None)
        planogram_editor.save_edit(
            engine,
            manager,
            cabinet["cabinet_id"],
            [SlotSpec("B3", "10", "P1", 8, 6, Decimal("1.50")), moved[1]],
            opened_version=2,
            effective_date=today,
        )
        after = datetime.now(UTC).replace(tzinfo=None)
        periods = _history_periods(engine, tmp_path / "lake2")
    finally:
        engine.dispose()
    v1_end = periods[1][1]
    assert periods[1][0] is None and isinstance(v1_end, datetime) and before <= v1_end <= after
    assert periods[3] == (v1_end, None)
    v2_start, v2_end = periods[2]
    assert isinstance(v2_start, datetime) and isinstance(v2_end, datetime)
    assert v2_end <= v2_start, "the overtaken version has no period in force"
