"""The driver's day: the stops of a day, what is entered at each cabinet, photos, exceptions.

Everything a driver enters at a cabinet is saved as it is made (:func:`save_entry` merges one
change into the cabinet's entry row), so a dropped connection loses nothing: the page reads the
entries back. Photos are checked and stored by :mod:`operations.photos` under a root the caller
passes in. An exception (broken, no access, ...) opens one draft follow-up order for the office
on the same route and cabinet and is recorded in the audit log; reporting again updates the
entry and the follow-up order's note, it never opens a second order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from operations import audit, photos
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import Conflict, NotFound, ValidationError
from operations.permissions import Action, Actor, Scope, require, require_on_route
from operations.schema import (
    EXCEPTION_KINDS,
    PHOTO_KINDS,
    Cabinet,
    Device,
    OrderCabinetEntry,
    OrderPhoto,
    ServiceOrder,
    ServiceOrderCabinet,
)
from operations.services.orders import MAX_QUANTITY

EXCEPTION_LABELS = {
    "broken": "machine broken",
    "no_access": "no access",
    "damaged_stock": "damaged stock",
    "expired_stock": "expired stock",
    "coin_jammed": "coin mechanism jammed",
}
DAY_STATUSES = ("scheduled", "in_progress", "completed")


@dataclass(frozen=True)
class Stop:
    """One cabinet to serve on the day, in the planned order, with where it is."""

    order_id: int
    order_status: str
    cabinet_id: int
    machine: str
    location: str
    address: str
    latitude: float | None
    longitude: float | None
    access_notes: str
    done: bool


@dataclass(frozen=True)
class Entry:
    """What has been entered at one cabinet of an order so far."""

    cabinet_id: int
    delivered: dict[str, int]
    note: str
    exception_kind: str | None
    exception_note: str
    follow_up_order_id: int | None
    done: bool
    updated_at: datetime | None


# The order a driver's report opens: a machine fault is a repair; stock and access problems
# need another stocked visit.
FOLLOW_UP_TYPE: dict[str, str] = {
    "broken": "repair",
    "coin_jammed": "repair",
    "no_access": "restock",
    "damaged_stock": "restock",
    "expired_stock": "restock",
}


def _order(session: Session, actor: Actor, action: Action, order_id: int) -> ServiceOrder:
    query = (
        select(ServiceOrder)
        .options(selectinload(ServiceOrder.cabinets).selectinload(ServiceOrderCabinet.items))
        .where(ServiceOrder.id == order_id)
    )
    order = session.scalars(query).one_or_none()
    if order is None:
        require(actor, action)  # a stranger learns nothing about which ids exist
        raise NotFound("service order", order_id)
    require_on_route(actor, action, order.driver_username)
    return order


def _in_progress(order: ServiceOrder, what: str) -> None:
    if order.status != "in_progress":
        raise Conflict(f"service order {order.id} is {order.status}: start it to {what}")


def _order_cabinet(order: ServiceOrder, cabinet_id: object) -> ServiceOrderCabinet:
    key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
    for order_cabinet in order.cabinets:
        if order_cabinet.cabinet_id == key:
            return order_cabinet
    raise ValidationError("cabinet_id", cabinet_id, f"is not on service order {order.id}")


def _entry_row(session: Session, order_cabinet: ServiceOrderCabinet) -> OrderCabinetEntry | None:
    query = select(OrderCabinetEntry).where(OrderCabinetEntry.order_cabinet_id == order_cabinet.id)
    return session.scalars(query).one_or_none()


def _as_entry(cabinet_id: int, row: OrderCabinetEntry | None) -> Entry:
    if row is None:
        return Entry(cabinet_id, {}, "", None, "", None, False, None)
    return Entry(
        cabinet_id,
        {str(k): int(v) for k, v in json.loads(row.delivered).items()},
        row.note,
        row.exception_kind,
        row.exception_note,
        row.follow_up_order_id,
        row.done,
        row.updated_at,
    )


def _editable_row(
    session: Session, actor: Actor, order_cabinet: ServiceOrderCabinet
) -> OrderCabinetEntry:
    row = _entry_row(session, order_cabinet)
    if row is None:
        row = OrderCabinetEntry(
            order_cabinet_id=order_cabinet.id, delivered="{}", note="", exception_note=""
        )
        session.add(row)
    row.updated_by = actor.username
    return row


def day_stops(db: DbTarget, actor: Actor, day: date) -> list[Stop]:
    """The cabinets of the actor's orders planned for ``day`` (scheduled, started or done),
    in the planned order: order by order, cabinets as the order lists them."""
    scope = require(actor, Action.READ_ORDERS)
    query = (
        select(ServiceOrder)
        .options(
            selectinload(ServiceOrder.cabinets)
            .selectinload(ServiceOrderCabinet.cabinet)
            .selectinload(Cabinet.device)
            .selectinload(Device.location)
        )
        .where(ServiceOrder.planned_date == day, ServiceOrder.status.in_(DAY_STATUSES))
        .order_by(ServiceOrder.id)
    )
    if scope is Scope.OWN_ROUTES:
        query = query.where(ServiceOrder.driver_username == actor.username)
    with transaction(db) as session:
        stops = []
        for order in session.scalars(query):
            for order_cabinet in order.cabinets:
                cabinet = order_cabinet.cabinet
                device, row = cabinet.device, _entry_row(session, order_cabinet)
                place = device.location
                stops.append(
                    Stop(
                        order.id,
                        order.status,
                        cabinet.id,
                        f"{device.asset_number or device.dex_serial} · cabinet "
                        f"{cabinet.cabinet_index}",
                        place.name if place else "",
                        place.address if place else "",
                        place.latitude if place else None,
                        place.longitude if place else None,
                        place.access_notes if place else "",
                        order.status == "completed" or (row is not None and row.done),
                    )
                )
        return stops


def get_entries(db: DbTarget, actor: Actor, order_id: int) -> dict[int, Entry]:
    """Every cabinet's entry of the order, by cabinet id (empty entries for untouched ones)."""
    with transaction(db) as session:
        order = _order(session, actor, Action.READ_ORDERS, order_id)
        return {
            oc.cabinet_id: _as_entry(oc.cabinet_id, _entry_row(session, oc))
            for oc in order.cabinets
        }


def save_entry(
    db: DbTarget,
    actor: Actor,
    order_id: int,
    cabinet_id: object,
    *,
    delivered: Mapping[str, object] | None = None,
    note: object = None,
    done: bool | None = None,
) -> Entry:
    """Merge one change into the cabinet's entry: the slots of ``delivered`` (others keep
    their values), the note, the done flag (``None``: unchanged)."""
    require(actor, Action.RECORD_VISIT)
    with transaction(db) as session:
        order = _order(session, actor, Action.RECORD_VISIT, order_id)
        _in_progress(order, "record entries")
        order_cabinet = _order_cabinet(order, cabinet_id)
        slots = {item.slot for item in order_cabinet.items}
        row = _editable_row(session, actor, order_cabinet)
        if delivered is not None:
            merged = json.loads(row.delivered or "{}")
            for slot, quantity in delivered.items():
                if slot not in slots:
                    raise ValidationError(
                        "slot", slot, f"not on the order for cabinet {cabinet_id}"
                    )
                merged[slot] = check.integer(
                    f"delivered[{slot}]", quantity, minimum=0, maximum=MAX_QUANTITY
                )
            row.delivered = json.dumps(merged, sort_keys=True)
        if note is not None:
            row.note = check.name("note", note, max_length=1000, required=False)
        if done is not None:
            row.done = bool(done)
        session.flush()
        return _as_entry(order_cabinet.cabinet_id, row)


def add_photo(
    db: DbTarget,
    actor: Actor,
    photos_root: Path,
    order_id: int,
    cabinet_id: object,
    *,
    kind: object,
    data: bytes,
    name: object = "photo",
) -> OrderPhoto:
    """Check and store a before/after photo of a cabinet of a started order; record it."""
    require(actor, Action.RECORD_VISIT)
    photo_kind = check.choice("kind", kind, PHOTO_KINDS)
    shown_name = check.name("name", str(name)[:200] or "photo", max_length=200)
    with transaction(db) as session:
        order = _order(session, actor, Action.RECORD_VISIT, order_id)
        _in_progress(order, "add photos")
        order_cabinet = _order_cabinet(order, cabinet_id)
        stored = photos.store_photo(photos_root, data, shown_name)
        photo = OrderPhoto(
            order_id=order.id,
            cabinet_id=order_cabinet.cabinet_id,
            kind=photo_kind,
            sha256=stored.sha256,
            file_type=stored.file_type,
            size_bytes=stored.size_bytes,
            original_name=shown_name,
            uploaded_by=actor.username,
        )
        session.add(photo)
        session.flush()
        audit.record(
            session, actor, "order.photo", "order_photo", photo.id, after=audit.snapshot(photo)
        )
        return photo


def list_photos(db: DbTarget, actor: Actor, order_id: int) -> list[OrderPhoto]:
    """The order's photos, by cabinet then upload order."""
    with transaction(db) as session:
        order = _order(session, actor, Action.READ_ORDERS, order_id)
        query = (
            select(OrderPhoto)
            .where(OrderPhoto.order_id == order.id)
            .order_by(OrderPhoto.cabinet_id, OrderPhoto.id)
        )
        return list(session.scalars(query))


def _follow_up_note(order: ServiceOrder, cabinet_id: int, kind: str, note: str) -> str:
    text = f"Follow-up of order #{order.id}: {EXCEPTION_LABELS[kind]} at cabinet {cabinet_id}"
    return (f"{text}: {note}" if note else text)[:1000]


def report_exception(
    db: DbTarget, actor: Actor, order_id: int, cabinet_id: object, *, kind: object, note: object
) -> Entry:
    """Record a problem at a cabinet; the first report opens a draft follow-up order on the
    same route for the same cabinet (the day after), for the office to plan."""
    require(actor, Action.REPORT_EXCEPTION)
    exception = check.choice("exception", kind, EXCEPTION_KINDS)
    text = check.name("exception_note", note, max_length=800, required=False)
    with transaction(db) as session:
        order = _order(session, actor, Action.REPORT_EXCEPTION, order_id)
        _in_progress(order, "report a problem")
        order_cabinet = _order_cabinet(order, cabinet_id)
        row = _editable_row(session, actor, order_cabinet)
        before = audit.snapshot(row) if row.id is not None else None
        row.exception_kind, row.exception_note = exception, text
        follow_note = _follow_up_note(order, order_cabinet.cabinet_id, exception, text)
        if row.follow_up_order_id is None:
            follow_up = ServiceOrder(
                route_id=order.route_id,
                driver_username=order.driver_username,
                planned_date=order.planned_date + timedelta(days=1),
                status="draft",
                note=follow_note,
                order_type=FOLLOW_UP_TYPE[exception],
                priority="urgent",  # the office must see it before the next planned visit
                created_by=actor.username,
                cabinets=[ServiceOrderCabinet(cabinet_id=order_cabinet.cabinet_id)],
            )
            session.add(follow_up)
            session.flush()
            audit.record(
                session,
                actor,
                "create",
                "service_order",
                follow_up.id,
                after=audit.snapshot(follow_up),
            )
            row.follow_up_order_id = follow_up.id
        else:
            follow_up = session.get_one(ServiceOrder, row.follow_up_order_id)
            if follow_up.status == "draft":  # the office has not taken it up yet
                follow_up.note = follow_note
        session.flush()
        audit.record(
            session,
            actor,
            Action.REPORT_EXCEPTION.value,
            "order_cabinet_entry",
            row.id,
            before=before,
            after=audit.snapshot(row),
        )
        return _as_entry(order_cabinet.cabinet_id, row)
