"""Machine setup from the dashboards: add a machine with its cabinets in one go, move it, put
machines on a route in bulk, retire and restore master data.

Each call is one transaction: a bad cabinet, an unknown route for one of many machines, writes
nothing. A retired machine (or product, location, route) is soft-deleted: its DEX reads, orders,
planogram versions and audit entries stay, and restoring it brings it back as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import NotAllApplied, NotFound, OperationsError, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import (
    Cabinet,
    Device,
    Location,
    PlanogramVersion,
    Product,
    ProductPriceChange,
    Route,
    SoftDelete,
)
from operations.services import devices, masterdata
from operations.services.records import live


@dataclass(frozen=True)
class CabinetSpec:
    """One cabinet of a new machine, as the form gives it (checked by the service)."""

    cabinet_type: object
    rows: object
    columns: object


@dataclass(frozen=True)
class MachineRow:
    """A machine as the setup forms list it (retired ones too)."""

    id: int
    asset_number: str | None
    dex_serial: str | None
    model: str | None
    location_code: str | None
    route_code: str | None
    retired: bool


def add_machine(
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
    cabinets: Sequence[CabinetSpec],
) -> Device:
    """Create the machine ``asset_number`` with ``cabinets`` (numbered from 1), all or nothing.

    An asset number in use (live or retired) is refused: editing is :func:`move_machine`,
    bringing one back :func:`restore`. A cabinet's error names it (``cabinet 2 rows``).
    """
    require(actor, Action.WRITE_MASTER_DATA)
    asset = check.code("asset_number", asset_number)
    if not cabinets:
        raise ValidationError("cabinets", 0, "a machine needs at least one cabinet")
    if len(cabinets) > 9:
        raise ValidationError("cabinets", len(cabinets), "at most 9 cabinets")
    with transaction(db) as session:
        taken = session.scalars(select(Device).where(Device.asset_number == asset)).one_or_none()
        if taken is not None:
            state = "a retired machine: restore it" if taken.deleted_at else "another machine"
            raise ValidationError("asset_number", asset, f"already used by {state}")
        saved = devices.save_device(
            session,
            actor,
            asset_number=asset,
            dex_serial=dex_serial,
            model=model,
            device_type=device_type,
            location_code=location_code,
            route_code=route_code,
            telemetry=telemetry,
            service_days=service_days,
        )
        for index, cabinet in enumerate(cabinets, start=1):
            try:
                devices.save_cabinet(
                    session,
                    actor,
                    asset_number=asset,
                    cabinet_index=index,
                    cabinet_type=cabinet.cabinet_type,
                    rows=cabinet.rows,
                    columns=cabinet.columns,
                )
            except ValidationError as exc:
                field = f"cabinet {index} {exc.field}"
                raise ValidationError(field, exc.value, exc.problem) from exc
        return saved.record


def move_machine(
    db: DbTarget, actor: Actor, asset_number: str, *, location_code: object, route_code: object
) -> Device:
    """Put the live machine ``asset_number`` at another location and/or route (empty route:
    none). Audited as a move with the place before and after."""
    require(actor, Action.WRITE_MASTER_DATA)
    with transaction(db) as session:
        device = live(session, Device, "device", asset_number=asset_number)
        before = audit.snapshot(device)
        location = masterdata.get_location(session, check.code("location_id", location_code))
        device.location_id = location.id
        device.route_id = (
            masterdata.get_route(session, check.code("route_id", route_code)).id
            if route_code
            else None
        )
        session.flush()
        after = audit.snapshot(device)
        if after != before:
            audit.record(session, actor, "move", "device", asset_number, before=before, after=after)
        return device


def assign_route(
    db: DbTarget, actor: Actor, asset_numbers: Sequence[str], route_code: object
) -> int:
    """Put every machine of ``asset_numbers`` on route ``route_code``, all or none; how many
    changed (one audit entry per machine moved)."""
    require(actor, Action.WRITE_MASTER_DATA)
    if not asset_numbers:
        raise ValidationError("machines", 0, "pick at least one machine")
    changed = 0
    with transaction(db) as session:
        route = masterdata.get_route(session, check.code("route_id", route_code))
        for asset in asset_numbers:
            try:
                device = live(session, Device, "device", asset_number=asset)
            except OperationsError as exc:
                raise NotAllApplied(f"machine {asset}", exc, "the machines") from exc
            if device.route_id == route.id:
                continue
            before = audit.snapshot(device)
            device.route_id = route.id
            session.flush()
            after = audit.snapshot(device)
            audit.record(session, actor, "route", "device", asset, before=before, after=after)
            changed += 1
    return changed


_RESTORABLE = masterdata.DELETABLE


def restore(db: DbTarget, actor: Actor, entity: str, key: str) -> None:
    """Bring back the retired (soft-deleted) ``entity`` with natural ``key``, as it was.

    A machine whose location or route was retired meanwhile comes back without it (unassigned)."""
    require(actor, Action.WRITE_MASTER_DATA)
    if entity not in _RESTORABLE:
        raise ValidationError("entity", entity, f"must be one of {', '.join(_RESTORABLE)}")
    model, column = _RESTORABLE[entity]
    with transaction(db) as session:
        found = session.scalars(select(model).filter_by(**{column: key})).one_or_none()
        if found is None or getattr(found, "deleted_at", None) is None:
            raise NotFound(f"retired {entity}", key)
        before = audit.snapshot(found)
        if not isinstance(found, SoftDelete):  # a programming error: DELETABLE lists these only
            raise TypeError(f"{entity} records cannot be restored")
        found.deleted_at = None
        found.deleted_by = None
        if isinstance(found, Device):
            if found.location is not None and found.location.deleted_at is not None:
                found.location_id = None
            if found.route is not None and found.route.deleted_at is not None:
                found.route_id = None
        session.flush()
        audit.record(
            session, actor, "restore", entity, key, before=before, after=audit.snapshot(found)
        )


def list_machines(db: DbTarget, actor: Actor) -> list[MachineRow]:
    """Every machine, retired ones too, by asset number (unassigned ones last)."""
    require(actor, Action.READ_MASTER_DATA)
    query = (
        select(Device, Location.code, Route.code)
        .outerjoin(Location, Device.location_id == Location.id)
        .outerjoin(Route, Device.route_id == Route.id)
        .order_by(Device.asset_number.is_(None), Device.asset_number, Device.id)
    )
    with reading(db) as session:
        return [
            MachineRow(
                id=device.id,
                asset_number=device.asset_number,
                dex_serial=device.dex_serial,
                model=device.model,
                location_code=location,
                route_code=route,
                retired=device.deleted_at is not None,
            )
            for device, location, route in session.execute(query)
        ]


def last_master_change(db: DbTarget, actor: Actor) -> datetime | None:
    """When master data last changed (any product, location, route, machine, cabinet, planogram
    version or applied price): pages compare it with the warehouse's build time."""
    require(actor, Action.READ_MASTER_DATA)
    stamps = [
        select(func.max(model.updated_at)) for model in (Product, Location, Route, Device, Cabinet)
    ]
    stamps.append(select(func.max(PlanogramVersion.created_at)))
    stamps.append(select(func.max(ProductPriceChange.applied_at)))
    with reading(db) as session:
        found = [session.scalar(query) for query in stamps]
    present = [stamp for stamp in found if stamp is not None]
    return max(present) if present else None


def list_locations(db: DbTarget, actor: Actor, *, retired: bool = False) -> list[Location]:
    """Live locations by code (``retired=True``: the retired ones instead)."""
    require(actor, Action.READ_MASTER_DATA)
    state = Location.deleted_at.is_not(None) if retired else Location.deleted_at.is_(None)
    with reading(db) as session:
        return list(session.scalars(select(Location).where(state).order_by(Location.code)))


def list_retired(db: DbTarget, actor: Actor, entity: str) -> list[str]:
    """Natural keys of the retired ``entity`` records (product, location, route, device)."""
    require(actor, Action.READ_MASTER_DATA)
    if entity not in _RESTORABLE:
        raise ValidationError("entity", entity, f"must be one of {', '.join(_RESTORABLE)}")
    model, column = _RESTORABLE[entity]
    key = getattr(model, column)
    deleted_at = getattr(model, "deleted_at")  # noqa: B009 - every DELETABLE model is SoftDelete
    query = select(key).where(deleted_at.is_not(None)).order_by(key)
    with reading(db) as session:
        return [str(k) for k in session.scalars(query) if k is not None]


@dataclass(frozen=True)
class VersionRow:
    """One planogram version of one cabinet of a machine, with who made it."""

    cabinet_index: int
    version: int
    active: bool
    created_at: datetime
    created_by: str
    note: str
    slots: int


def planogram_versions(db: DbTarget, actor: Actor, asset_number: str) -> list[VersionRow]:
    """Every planogram version of the machine's cabinets, newest first per cabinet (a retired
    machine's too: its history stays)."""
    require(actor, Action.READ_PLANOGRAM)
    query = (
        select(PlanogramVersion, Cabinet.cabinet_index)
        .join(Cabinet, PlanogramVersion.cabinet_id == Cabinet.id)
        .join(Device, Cabinet.device_id == Device.id)
        .where(Device.asset_number == asset_number)
        .order_by(Cabinet.cabinet_index, PlanogramVersion.version.desc())
    )
    with reading(db) as session:
        return [
            VersionRow(
                cabinet_index=index,
                version=version.version,
                active=version.is_active,
                created_at=version.created_at,
                created_by=version.created_by,
                note=version.note,
                slots=len(version.slots),
            )
            for version, index in session.execute(query)
        ]
