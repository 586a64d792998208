"""The driver's day in the service layer: entries kept as they are made, photos checked by their
bytes and stored by content, exceptions that open exactly one follow-up order.

Expected values come from the seeded world (ops_world: order 3 is dave's, in progress, on R1,
cabinet A1 with slot A1 × 5, planned 2026-12-01) and from the PNG format written out by hand.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ops_world import World
from PIL import Image
from sqlalchemy import inspect, select

from operations import db, photos
from operations.errors import Conflict, PermissionDenied, ValidationError
from operations.importer import import_master_data
from operations.permissions import SYSTEM
from operations.schema import AuditEntry, Base, Location, ServiceOrder, ServiceOrderCabinet
from operations.services import masterdata, visits
from tests.images import png


def test_a_png_is_stored_by_its_sha256_with_a_thumbnail(tmp_path: Path) -> None:
    data = png(800, 600)
    stored = photos.store_photo(tmp_path, data, "cab.png")
    sha = hashlib.sha256(data).hexdigest()
    assert (stored.sha256, stored.file_type, stored.size_bytes) == (sha, "png", len(data))
    assert (tmp_path / sha[:2] / f"{sha}.png").read_bytes() == data
    with Image.open(tmp_path / sha[:2] / f"{sha}.thumb.jpg") as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 240)  # 800x600 scaled to fit 320, aspect kept
    photos.store_photo(tmp_path, data, "again.png")  # the same photo twice: one file
    assert sorted(p.name for p in (tmp_path / sha[:2]).iterdir()) == [
        f"{sha}.png",
        f"{sha}.thumb.jpg",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"just some text, renamed to photo.jpg", "not a JPEG, PNG, WebP or HEIC"),
        (b"%PDF-1.7\n", "not a JPEG, PNG, WebP or HEIC"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "cannot be read as an image"),
        (b"\xff\xd8\xff" + b"\x00" * (photos.MAX_PHOTO_BYTES), "over the limit"),
    ],
    ids=["empty", "text", "pdf", "truncated-png", "too-large"],
)
def test_a_bad_photo_is_refused_with_its_name_and_nothing_stored(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        photos.store_photo(tmp_path, data, "upload-7.jpg")
    assert reason in str(refused.value)
    assert "upload-7.jpg" in str(refused.value)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_heic_and_webp_are_recognised_by_their_magic_bytes() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    assert photos.photo_type(heic) == "heic"
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="WEBP")
    assert photos.photo_type(out.getvalue()) == "webp"
    assert photos.photo_type(b"\x00\x00\x00\x18ftypmp42") is None  # an MP4 video


def test_entries_are_kept_as_they_are_made_and_read_back_after_a_reconnect(world: World) -> None:
    dave, order, cabinet = world.actors["dave"], world.orders["in_progress"], world.cabinets["A1"]
    visits.save_entry(world.engine, dave, order, cabinet, delivered={"A1": 4})
    visits.save_entry(world.engine, dave, order, cabinet, note="Door sticks")
    world.engine.dispose()  # the connection drops
    fresh = db.connect(world.url)
    try:
        entry = visits.get_entries(fresh, dave, order)[cabinet]
    finally:
        fresh.dispose()
    assert (entry.delivered, entry.note, entry.done) == ({"A1": 4}, "Door sticks", False)


def test_an_entry_refuses_slots_off_the_order_and_orders_not_started(
    world: World, unchanged: None
) -> None:
    dave, cabinet = world.actors["dave"], world.cabinets["A1"]
    with pytest.raises(ValidationError, match="not on the order"):
        visits.save_entry(
            world.engine, dave, world.orders["in_progress"], cabinet, delivered={"A2": 1}
        )
    with pytest.raises(ValidationError, match="between 0 and 999"):
        visits.save_entry(
            world.engine, dave, world.orders["in_progress"], cabinet, delivered={"A1": -1}
        )
    with pytest.raises(Conflict, match="is scheduled: start it"):
        visits.save_entry(world.engine, dave, world.orders["scheduled"], cabinet, note="x")


def test_another_driver_cannot_touch_the_order(
    world: World, tmp_path: Path, unchanged: None
) -> None:
    erin, order, cabinet = world.actors["erin"], world.orders["in_progress"], world.cabinets["A1"]
    with pytest.raises(PermissionDenied, match="not their order"):
        visits.save_entry(world.engine, erin, order, cabinet, note="mine now")
    with pytest.raises(PermissionDenied, match="not their order"):
        visits.add_photo(world.engine, erin, tmp_path, order, cabinet, kind="after", data=png())
    with pytest.raises(PermissionDenied, match="not their order"):
        visits.report_exception(world.engine, erin, order, cabinet, kind="broken", note="")
    assert not tmp_path.joinpath("ab").exists()


def test_a_photo_row_links_order_cabinet_and_kind(world: World, tmp_path: Path) -> None:
    dave, order, cabinet = world.actors["dave"], world.orders["in_progress"], world.cabinets["A1"]
    data = png()
    visits.add_photo(world.engine, dave, tmp_path, order, cabinet, kind="before", data=data)
    [photo] = visits.list_photos(world.engine, world.actors["max"], order)
    assert (photo.order_id, photo.cabinet_id, photo.kind) == (order, cabinet, "before")
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert photo.uploaded_by == "dave"


def test_an_exception_opens_one_follow_up_order_for_the_office(world: World) -> None:
    dave, order, cabinet = world.actors["dave"], world.orders["in_progress"], world.cabinets["A1"]
    first = visits.report_exception(
        world.engine, dave, order, cabinet, kind="coin_jammed", note="Coins stuck"
    )
    again = visits.report_exception(
        world.engine, dave, order, cabinet, kind="coin_jammed", note="Coins stuck, 2 EUR lost"
    )
    assert first.follow_up_order_id == again.follow_up_order_id is not None
    with world.engine.connect() as connection:
        follow_ups = connection.execute(
            select(
                ServiceOrder.id,
                ServiceOrder.status,
                ServiceOrder.driver_username,
                ServiceOrder.planned_date,
                ServiceOrder.note,
                ServiceOrderCabinet.cabinet_id,
                ServiceOrder.order_type,
                ServiceOrder.priority,
            )
            .join(ServiceOrderCabinet, ServiceOrderCabinet.order_id == ServiceOrder.id)
            .where(ServiceOrder.id > world.orders["erin_in_progress"])
        ).all()
        actions = connection.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert follow_ups == [
        (
            first.follow_up_order_id,
            "draft",
            "dave",
            date(2026, 12, 2),
            "Follow-up of order #3: coin mechanism jammed at cabinet "
            f"{cabinet}: Coins stuck, 2 EUR lost",
            cabinet,
            "repair",  # a jammed coin mechanism is a machine fault, not a restock
            "urgent",
        )
    ]
    assert actions[-3:] == ["create", "order.exception", "order.exception"]


def test_an_unknown_exception_kind_is_refused(world: World, unchanged: None) -> None:
    with pytest.raises(ValidationError, match="exception"):
        visits.report_exception(
            world.engine,
            world.actors["dave"],
            world.orders["in_progress"],
            world.cabinets["A1"],
            kind="on_fire",
            note="",
        )


def test_the_day_lists_stops_in_order_with_coordinates_notes_and_done(world: World) -> None:
    masterdata.save_location(
        world.engine,
        SYSTEM,
        code="L1",
        name="Station",
        address="Square 1",
        latitude="47.0",
        longitude="8.0",
        traffic="high",
        access_notes="Code 4711 at the side door",
    )
    dave = world.actors["dave"]
    visits.save_entry(
        world.engine, dave, world.orders["in_progress"], world.cabinets["A1"], done=True
    )
    stops = visits.day_stops(world.engine, dave, date(2026, 12, 1))
    assert [(s.order_id, s.order_status, s.done) for s in stops] == [
        (2, "scheduled", False),
        (3, "in_progress", True),
    ]  # the draft (order 1) is not released; erin's order 4 is not dave's
    assert {(s.latitude, s.longitude, s.access_notes, s.machine) for s in stops} == {
        (47.0, 8.0, "Code 4711 at the side door", "A1 · cabinet 1")
    }


def _import_locations(world: World, folder: Path, header: str, row: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "locations.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    import_master_data(world.engine, folder, actor=SYSTEM)


def _access_notes(world: World) -> str:
    with world.engine.connect() as connection:
        return str(
            connection.execute(select(Location.access_notes).where(Location.code == "L1")).one()[0]
        )


def test_locations_csv_may_carry_access_notes_and_a_file_without_them_keeps_them(
    world: World, tmp_path: Path
) -> None:
    base = "location_id,name,address,latitude,longitude,traffic"
    values = "L1,Station,Square 1,47.0,8.0,high"
    _import_locations(
        world, tmp_path / "a", f"{base},access_notes", f'{values},"Ring twice, ask Ana"'
    )
    assert _access_notes(world) == "Ring twice, ask Ana"
    _import_locations(world, tmp_path / "b", base, values)
    assert _access_notes(world) == "Ring twice, ask Ana"


def test_the_driver_day_migration_on_postgresql_matches_the_models_and_goes_back(
    postgres_url: str,
) -> None:
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        command.downgrade(db._alembic_config(postgres_url), "0008")
        tables = set(inspect(engine).get_table_names())
        assert {"order_photos", "order_cabinet_entries"} & tables == set()
        columns = {c["name"] for c in inspect(engine).get_columns("locations")}
        assert "access_notes" not in columns
        db.upgrade(postgres_url)
        assert {"order_photos", "order_cabinet_entries"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
