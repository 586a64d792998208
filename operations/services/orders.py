"""Service orders: draft → scheduled → in_progress → completed, or cancelled.

An order names a route, a planned date, the cabinets to serve and, per cabinet, what to load
into which slot. It records its driver when created (the route's driver then); that recorded
driver is the one who sees and works the order, even if the route changes hands later, until a
manager reassigns it (:func:`reassign_order`). Completing records what was delivered per slot;
cancelling releases the order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import (
    Conflict,
    NotAllApplied,
    NotFound,
    OperationsError,
    PermissionDenied,
    ValidationError,
)
from operations.permissions import Action, Actor, Scope, require, require_on_route
from operations.schema import (
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    Cabinet,
    Device,
    Product,
    Route,
    ServiceOrder,
    ServiceOrderCabinet,
    ServiceOrderItem,
    utcnow,
)
from operations.services.masterdata import get_route
from operations.services.planograms import active_version
from operations.services.records import live
from operations.services.users import require_driver

MAX_QUANTITY = 999
# The step columns each status stamps: (time, user).
STEP_COLUMNS: dict[str, tuple[str, str]] = {
    "scheduled": ("scheduled_at", "scheduled_by"),
    "in_progress": ("started_at", "started_by"),
    "completed": ("completed_at", "completed_by"),
    "cancelled": ("cancelled_at", "cancelled_by"),
}


@dataclass(frozen=True)
class ItemSpec:
    """Load ``quantity`` into ``slot``; the product is the slot's in the active planogram."""

    slot: object
    quantity: object


@dataclass(frozen=True)
class PickLine:
    """One product of a pick list: how many to take along, and how many were delivered."""

    product_code: str
    product_name: str
    quantity_planned: int
    quantity_delivered: int


def _order_query() -> Select[ServiceOrder]:
    return select(ServiceOrder).options(
        selectinload(ServiceOrder.route),
        selectinload(ServiceOrder.cabinets)
        .selectinload(ServiceOrderCabinet.items)
        .selectinload(ServiceOrderItem.product),
    )


def _load(session: Session, actor: Actor, action: Action, order_id: int) -> ServiceOrder:
    order = session.scalars(_order_query().where(ServiceOrder.id == order_id)).one_or_none()
    if order is None:
        require(actor, action)  # a stranger learns nothing about which ids exist
        raise NotFound("service order", order_id)
    require_on_route(actor, action, order.driver_username)
    return order


def _cabinet_ids(cabinets: Mapping[Any, object]) -> dict[int, Sequence[ItemSpec]]:
    """The cabinets by normalised id (``5`` and ``"5"`` are one cabinet: refused as a twin)."""
    normalised: dict[int, Sequence[ItemSpec]] = {}
    for cabinet_id, items in cabinets.items():
        key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
        if key in normalised:
            raise ValidationError("cabinet_id", cabinet_id, f"cabinet {key} is listed twice")
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise ValidationError("items", items, "must be a list of ItemSpec(slot, quantity)")
        if not items:
            raise ValidationError("items", items, f"cabinet {key} has no items")
        normalised[key] = items
    return normalised


def _cabinet_items(
    session: Session, route: Route, cabinet_key: int, items: Sequence[ItemSpec]
) -> ServiceOrderCabinet:
    cabinet = live(session, Cabinet, "cabinet", id=cabinet_key)
    device = session.get_one(Device, cabinet.device_id)
    if device.route_id != route.id:
        raise ValidationError("cabinet_id", cabinet_key, f"is not on route {route.code}")
    version = active_version(session, cabinet.id)
    slots = {s.slot: s for s in version.slots} if version is not None else {}
    order_cabinet = ServiceOrderCabinet(cabinet_id=cabinet.id)
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, ItemSpec):
            raise ValidationError("items", item, "must be a list of ItemSpec(slot, quantity)")
        position = check.slot_position(
            "slot", item.slot, rows=cabinet.rows, columns=cabinet.columns
        )
        if position not in slots:
            raise ValidationError(
                "slot", item.slot, f"not in the planogram of cabinet {cabinet.id}"
            )
        if position in seen:
            raise ValidationError("slot", item.slot, "listed twice for the cabinet")
        seen.add(position)
        slot = slots[position]
        quantity = check.integer("quantity", item.quantity, minimum=0, maximum=slot.capacity)
        order_cabinet.items.append(
            ServiceOrderItem(slot=slot.slot, product_id=slot.product_id, quantity_planned=quantity)
        )
    return order_cabinet


def create_order(
    db: DbTarget,
    actor: Actor,
    *,
    route_code: object,
    planned_date: object,
    cabinets: Mapping[int, Sequence[ItemSpec]],
    note: object = "",
) -> ServiceOrder:
    """Create a draft order for the route's driver, with items per cabinet (one transaction).

    Cabinet ids may be given as numbers or digit strings; each cabinet needs at least one item.
    """
    require(actor, Action.CREATE_ORDER)
    planned = check.calendar_date("planned_date", planned_date)
    note_text = check.name("note", note, max_length=1000, required=False)
    if not isinstance(cabinets, Mapping) or not cabinets:
        raise ValidationError("cabinets", cabinets, "name at least one cabinet with its items")
    by_cabinet = _cabinet_ids(cabinets)
    with transaction(db) as session:
        route = get_route(session, check.code("route_id", route_code))
        order = ServiceOrder(
            route_id=route.id,
            driver_username=route.driver_username,
            planned_date=planned,
            status="draft",
            note=note_text,
            created_by=actor.username,
            cabinets=[_cabinet_items(session, route, cid, its) for cid, its in by_cabinet.items()],
        )
        session.add(order)
        session.flush()
        audit.record(session, actor, "create", "service_order", order.id, after=_dump(order))
        return session.scalars(_order_query().where(ServiceOrder.id == order.id)).one()


def _dump(order: ServiceOrder) -> dict[str, object]:
    data = audit.snapshot(order)
    data["items"] = [
        {
            "cabinet_id": order_cabinet.cabinet_id,
            "slot": item.slot,
            "product_id": item.product_id,
            "planned": item.quantity_planned,
            "delivered": item.quantity_delivered,
        }
        for order_cabinet in order.cabinets
        for item in order_cabinet.items
    ]
    return data


def _transition(
    session: Session, actor: Actor, order: ServiceOrder, target: str, action: Action
) -> ServiceOrder:
    if (order.status, target) not in ORDER_TRANSITIONS:
        raise Conflict(f"service order {order.id} is {order.status}; it cannot become {target}")
    before = _dump(order)
    at_column, by_column = STEP_COLUMNS[target]
    order.status = target
    setattr(order, at_column, utcnow())
    setattr(order, by_column, actor.username)
    session.flush()
    audit.record(
        session, actor, action.value, "service_order", order.id, before=before, after=_dump(order)
    )
    return order


def schedule_order(db: DbTarget, actor: Actor, order_id: int) -> ServiceOrder:
    """draft → scheduled."""
    with transaction(db) as session:
        order = _load(session, actor, Action.SCHEDULE_ORDER, order_id)
        return _transition(session, actor, order, "scheduled", Action.SCHEDULE_ORDER)


def schedule_orders(db: DbTarget, actor: Actor, order_ids: Sequence[int]) -> list[ServiceOrder]:
    """draft → scheduled for every order of ``order_ids``, all or none (one transaction).

    If one order cannot be scheduled, :class:`NotAllApplied` names it and why, and no order
    changes (a refusal of the role itself is raised as the ``PermissionDenied`` it is).
    """
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise ValidationError("order_ids", order_ids, "choose at least one order")
    batch = "orders " + ", ".join(f"#{i}" for i in ids)
    with transaction(db) as session:
        scheduled = []
        for order_id in ids:
            try:
                scheduled.append(schedule_order(session, actor, order_id))
            except PermissionDenied:
                raise
            except OperationsError as refused:
                raise NotAllApplied(f"order #{order_id}", refused, batch) from refused
        return scheduled


def start_order(db: DbTarget, actor: Actor, order_id: int) -> ServiceOrder:
    """scheduled → in_progress (the driver begins the visit)."""
    with transaction(db) as session:
        order = _load(session, actor, Action.START_ORDER, order_id)
        return _transition(session, actor, order, "in_progress", Action.START_ORDER)


def complete_order(
    db: DbTarget, actor: Actor, order_id: int, delivered: Mapping[tuple[int, str], object]
) -> ServiceOrder:
    """in_progress → completed, recording per ``(cabinet_id, slot)`` what was delivered.

    Slots of the order missing from ``delivered`` are recorded as 0; a key that is not on the
    order is refused.
    """
    with transaction(db) as session:
        order = _load(session, actor, Action.COMPLETE_ORDER, order_id)
        if order.status != "in_progress":
            raise Conflict(
                f"service order {order.id} is {order.status}; it cannot become completed"
            )
        items = {(oc.cabinet_id, item.slot): item for oc in order.cabinets for item in oc.items}
        unknown = [key for key in delivered if key not in items]
        if unknown:
            raise ValidationError("delivered", unknown[0], "not a (cabinet_id, slot) of the order")
        capacity = _capacities(session, {cabinet_id for cabinet_id, _ in items})
        quantities = {
            key: check.integer(
                f"quantity_delivered[{key[0]}/{key[1]}]",
                delivered.get(key, 0),
                minimum=0,
                maximum=capacity.get(key, MAX_QUANTITY),  # a slot holds no more than its size
            )
            for key in items
        }
        for key, item in items.items():
            item.quantity_delivered = quantities[key]
        return _transition(session, actor, order, "completed", Action.COMPLETE_ORDER)


def _capacities(session: Session, cabinet_ids: set[int]) -> dict[tuple[int, str], int]:
    """Each slot's capacity in its cabinet's active planogram, by ``(cabinet_id, slot)``."""
    capacity: dict[tuple[int, str], int] = {}
    for cabinet_id in cabinet_ids:
        version = active_version(session, cabinet_id)
        for slot in version.slots if version is not None else []:
            capacity[cabinet_id, slot.slot] = slot.capacity
    return capacity


def cancel_order(db: DbTarget, actor: Actor, order_id: int, *, reason: object) -> ServiceOrder:
    """draft, scheduled or in_progress → cancelled (the order is released), with a reason."""
    reason_text = check.name("reason", reason, max_length=1000)
    with transaction(db) as session:
        order = _load(session, actor, Action.CANCEL_ORDER, order_id)
        order.cancel_reason = reason_text
        return _transition(session, actor, order, "cancelled", Action.CANCEL_ORDER)


def reassign_order(db: DbTarget, actor: Actor, order_id: int, *, driver: object) -> ServiceOrder:
    """Hand an open order (draft, scheduled, in progress) to another driver (managers, admins).

    The order's recorded driver is the one who may work it; a route's new driver gets the
    orders created after the change, and older ones only through this call.
    """
    require(actor, Action.ASSIGN_ORDER)
    driver_name = check.username("driver", driver)
    with transaction(db) as session:
        order = _load(session, actor, Action.ASSIGN_ORDER, order_id)
        if order.status not in ("draft", "scheduled", "in_progress"):
            raise Conflict(f"service order {order.id} is {order.status}; it cannot be reassigned")
        require_driver(session, "driver", driver_name)
        before = _dump(order)
        order.driver_username = driver_name
        session.flush()
        audit.record(
            session,
            actor,
            Action.ASSIGN_ORDER.value,
            "service_order",
            order.id,
            before=before,
            after=_dump(order),
        )
        return order


def get_order(db: DbTarget, actor: Actor, order_id: int) -> ServiceOrder:
    """One order with its cabinets and items (a driver only if it is on their route)."""
    with transaction(db) as session:
        return _load(session, actor, Action.READ_ORDERS, order_id)


def list_orders(
    db: DbTarget, actor: Actor, *, status: str | None = None, planned_date: date | None = None
) -> list[ServiceOrder]:
    """Orders by planned date; drivers get only the orders recorded for them."""
    scope = require(actor, Action.READ_ORDERS)
    query = _order_query().order_by(ServiceOrder.planned_date, ServiceOrder.id)
    if status is not None:
        query = query.where(ServiceOrder.status == check.choice("status", status, ORDER_STATUSES))
    if planned_date is not None:
        query = query.where(ServiceOrder.planned_date == planned_date)
    if scope is Scope.OWN_ROUTES:
        query = query.where(ServiceOrder.driver_username == actor.username)
    with transaction(db) as session:
        return list(session.scalars(query))


def pick_list(db: DbTarget, actor: Actor, order_id: int) -> list[PickLine]:
    """What to take along for the order: planned and delivered quantities summed by product."""
    with transaction(db) as session:
        order = _load(session, actor, Action.READ_ORDERS, order_id)
        query = (
            select(
                Product.code,
                Product.name,
                func.sum(ServiceOrderItem.quantity_planned),
                func.sum(ServiceOrderItem.quantity_delivered),  # NULL: nothing delivered yet
            )
            .join(ServiceOrderCabinet, ServiceOrderItem.order_cabinet_id == ServiceOrderCabinet.id)
            .join(Product, ServiceOrderItem.product_id == Product.id)
            .where(ServiceOrderCabinet.order_id == order.id)
            .group_by(Product.code, Product.name)
            .order_by(Product.code)
        )
        rows = session.execute(query)
        return [PickLine(code, name, int(p), int(d or 0)) for code, name, p, d in rows]
