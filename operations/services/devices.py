"""Devices (machines), their DEX serials and aliases, and their cabinets.

A DEX serial never seen before becomes an unassigned device (no asset number, no location) so
its sales are never lost; a manager then places it with :func:`place_device`. A serial of a
soft-deleted device that reports again brings that device back (see
:func:`register_unknown_device`); a serial stays with its device, deleted or not, so no other
device may take it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import Conflict, ValidationError
from operations.permissions import SYSTEM, Action, Actor, require
from operations.schema import Cabinet, Device, DeviceAlias
from operations.services.masterdata import get_location, get_route
from operations.services.records import Saved, live, upsert

CABINET_TYPES: tuple[str, ...] = (
    "Cooler 5x8",
    "Freezer 5x8",
    "Ambient 5x8",
    "Ambient+ 6x9",
    "Stockwell 4x7",
)


def _holder(session: Session, dex_serial: str) -> Device | None:
    """The device holding ``dex_serial`` as serial or alias, soft-deleted or not."""
    device = session.scalars(select(Device).where(Device.dex_serial == dex_serial)).one_or_none()
    if device is None:
        alias = session.scalars(
            select(DeviceAlias).where(DeviceAlias.dex_serial == dex_serial)
        ).one_or_none()
        device = alias.device if alias is not None else None
    return device


def device_by_serial(session: Session, dex_serial: str) -> Device | None:
    """The live device reporting ``dex_serial`` as its serial or one of its aliases."""
    device = _holder(session, dex_serial)
    return None if device is None or device.deleted_at is not None else device


def _label(device: Device) -> str:
    return device.asset_number or f"unassigned device {device.id}"


def _serial_free(session: Session, dex_serial: str, device: Device | None) -> None:
    owner = _holder(session, dex_serial)
    if owner is None or owner is device:
        return
    if owner.deleted_at is not None:
        raise Conflict(
            f"dex_serial {dex_serial!r} belongs to deleted device {_label(owner)}; "
            "save that device again to restore it"
        )
    raise ValidationError("dex_serial", dex_serial, f"already belongs to {_label(owner)}")


def _restore(session: Session, device: Device, dex_serial: str) -> Device:
    """Bring back a soft-deleted device that reports again; unassigned if its place is gone."""
    before = audit.snapshot(device)
    device.deleted_at = None
    device.deleted_by = None
    if device.location is not None and device.location.deleted_at is not None:
        device.location_id = None
    if device.route is not None and device.route.deleted_at is not None:
        device.route_id = None
    session.flush()
    reason = f"deleted device reported again with DEX serial {dex_serial!r}"
    audit.record(
        session,
        SYSTEM,
        "restore",
        "device",
        _label(device),
        before=before,
        after=audit.snapshot(device) | {"reason": reason},
    )
    return device


def register_unknown_device(db: DbTarget, dex_serial: str, *, seen_at: datetime) -> Device:
    """The device for ``dex_serial``, registering it unassigned (SYSTEM, audited) if new.

    Idempotent: a serial already known (as serial or alias) returns its device unchanged. A
    serial of a soft-deleted device restores that device (SYSTEM, audited with the reason):
    the machine is reporting, so its sales must land somewhere. If its location was deleted
    meanwhile it comes back unassigned (a deleted route is dropped as well).
    """
    serial = check.dex_serial("dex_serial", dex_serial)
    if seen_at.tzinfo is None:
        raise ValidationError("seen_at", seen_at, "must be timezone-aware")
    with transaction(db) as session:
        known = _holder(session, serial)
        if known is not None:
            return known if known.deleted_at is None else _restore(session, known, serial)
        device = Device(dex_serial=serial, telemetry=False, first_seen_at=seen_at)
        session.add(device)
        session.flush()
        audit.record(session, SYSTEM, "register", "device", serial, after=audit.snapshot(device))
        return device


def list_unassigned_devices(db: DbTarget, actor: Actor) -> list[Device]:
    """Devices registered from unknown serials and not yet placed at a location."""
    require(actor, Action.READ_MASTER_DATA)
    query = (
        select(Device)
        .where(Device.location_id.is_(None), Device.deleted_at.is_(None))
        .order_by(Device.first_seen_at, Device.id)
    )
    with transaction(db) as session:
        return list(session.scalars(query))


def save_device(
    db: DbTarget,
    actor: Actor,
    *,
    asset_number: object,
    dex_serial: object,
    model: object,
    device_type: object,
    location_code: object,
    route_code: object,
    telemetry: object,
    service_days: object,
) -> Saved[Device]:
    """Create or update the device ``asset_number`` (empty location/route: not placed yet).

    If the serial was auto-registered as an unassigned device, that device is adopted (it keeps
    its id and first-seen time) instead of a second device being created. A serial held by
    another, soft-deleted device is a :class:`Conflict` (save that device to restore it).
    """
    require(actor, Action.WRITE_MASTER_DATA)
    asset = check.code("asset_number", asset_number)
    serial = check.dex_serial("dex_serial", dex_serial) if dex_serial else None
    values: dict[str, object] = {
        "dex_serial": serial,
        "model": check.name("model", model, max_length=100),
        "device_type": check.name("device_type", device_type, max_length=100),
        "telemetry": check.boolean("telemetry", telemetry),
        "service_days": check.weekday_mask("service_days", service_days),
    }
    with transaction(db) as session:
        values["location_id"] = (
            get_location(session, check.code("location_id", location_code)).id
            if location_code
            else None
        )
        values["route_id"] = (
            get_route(session, check.code("route_id", route_code)).id if route_code else None
        )
        existing = session.scalars(select(Device).where(Device.asset_number == asset)).one_or_none()
        if serial is not None:
            owner = _holder(session, serial)
            if existing is None and owner is not None and owner.asset_number is None:
                existing = owner  # adopt the auto-registered device (restored if deleted)
                before = audit.snapshot(owner)
                owner.asset_number = asset
                session.flush()
                audit.record(
                    session,
                    actor,
                    "adopt",
                    "device",
                    asset,
                    before=before,
                    after=audit.snapshot(owner),
                )
            _serial_free(session, serial, existing)
        return upsert(session, actor, Device, "device", key={"asset_number": asset}, values=values)


def place_device(
    db: DbTarget,
    actor: Actor,
    device_id: int,
    *,
    asset_number: object,
    location_code: object,
    route_code: object,
) -> Device:
    """Give an (auto-registered) device its asset number, location and route."""
    require(actor, Action.WRITE_MASTER_DATA)
    asset = check.code("asset_number", asset_number)
    with transaction(db) as session:
        device = live(session, Device, "device", id=device_id)
        taken = session.scalars(select(Device).where(Device.asset_number == asset)).one_or_none()
        if taken is not None and taken is not device:
            raise ValidationError("asset_number", asset, f"already used by device {taken.id}")
        before = audit.snapshot(device)
        device.asset_number = asset
        device.location_id = get_location(session, check.code("location_id", location_code)).id
        device.route_id = get_route(session, check.code("route_id", route_code)).id
        session.flush()
        audit.record(
            session, actor, "place", "device", asset, before=before, after=audit.snapshot(device)
        )
        return device


def add_serial_alias(db: DbTarget, actor: Actor, device_id: int, dex_serial: object) -> None:
    """Record another DEX serial for the device (a swapped controller); serials stay unique."""
    require(actor, Action.WRITE_MASTER_DATA)
    serial = check.dex_serial("dex_serial", dex_serial)
    with transaction(db) as session:
        device = live(session, Device, "device", id=device_id)
        _serial_free(session, serial, device)
        if _holder(session, serial) is device:
            return
        session.add(DeviceAlias(device_id=device.id, dex_serial=serial))
        session.flush()
        audit.record(session, actor, "alias", "device", device.id, after={"dex_serial": serial})


def get_cabinet(session: Session, asset_number: str, cabinet_index: int) -> Cabinet:
    """The live cabinet ``cabinet_index`` of the device ``asset_number``."""
    device = live(session, Device, "device", asset_number=asset_number)
    return live(
        session,
        Cabinet,
        f"cabinet of {asset_number}",
        device_id=device.id,
        cabinet_index=cabinet_index,
    )


def save_cabinet(
    db: DbTarget,
    actor: Actor,
    *,
    asset_number: object,
    cabinet_index: object,
    cabinet_type: object,
    rows: object,
    columns: object,
) -> Saved[Cabinet]:
    """Create or update cabinet ``cabinet_index`` (1-based) of device ``asset_number``."""
    require(actor, Action.WRITE_MASTER_DATA)
    asset = check.code("asset_number", asset_number)
    index = check.integer("cabinet_index", cabinet_index, minimum=1, maximum=9)
    values = {
        "cabinet_type": check.choice("cabinet_type", cabinet_type, CABINET_TYPES),
        "rows": check.integer("rows", rows, minimum=1, maximum=26),
        "columns": check.integer("columns", columns, minimum=1, maximum=99),
    }
    with transaction(db) as session:
        device = live(session, Device, "device", asset_number=asset)
        key = {"device_id": device.id, "cabinet_index": index}
        return upsert(session, actor, Cabinet, "cabinet", key=key, values=values)
