"""Service orders: draft → scheduled → in_progress → completed, or cancelled.

An order has a type (restock, changeover, repair, cash collection, removal) and a priority
(normal, urgent). Restock and changeover orders load product and need items; the others may
name cabinets without items. While a draft, its items, type, priority and note may be edited
(:func:`edit_draft`). A driver marks cabinets served one by one (:func:`serve_cabinet`: the
order's progress); completing marks the rest.

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
    LOADING_TYPES,
    OPEN_STATUSES,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    ORDER_TYPES,
    PRIORITIES,
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


def order_query() -> Select[ServiceOrder]:
    return select(ServiceOrder).options(
        selectinload(ServiceOrder.route),
        selectinload(ServiceOrder.cabinets).selectinload(ServiceOrderCabinet.cabinet),
        selectinload(ServiceOrder.cabinets)
        .selectinload(ServiceOrderCabinet.items)
        .selectinload(ServiceOrderItem.product),
    )


def load(session: Session, actor: Actor, action: Action, order_id: int) -> ServiceOrder:
    order = session.scalars(order_query().where(ServiceOrder.id == order_id)).one_or_none()
    if order is None:
        require(actor, action)  # a stranger learns nothing about which ids exist
        raise NotFound("service order", order_id)
    require_on_route(actor, action, order.driver_username)
    return order


def _cabinet_ids(
    cabinets: Mapping[Any, object], *, items_required: bool = True
) -> dict[int, Sequence[ItemSpec]]:
    """The cabinets by normalised id (``5`` and ``"5"`` are one cabinet: refused as a twin)."""
    normalised: dict[int, Sequence[ItemSpec]] = {}
    for cabinet_id, items in cabinets.items():
        key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
        if key in normalised:
            raise ValidationError("cabinet_id", cabinet_id, f"cabinet {key} is listed twice")
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise ValidationError("items", items, "must be a list of ItemSpec(slot, quantity)")
        if not items and items_required:
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
    order_type: object = "restock",
    priority: object = "normal",
) -> ServiceOrder:
    """Create a draft order for the route's driver, with items per cabinet (one transaction).

    Cabinet ids may be given as numbers or digit strings; for a restock or changeover each
    cabinet needs at least one item (other types may list cabinets without items).
    """
    require(actor, Action.CREATE_ORDER)
    planned = check.calendar_date("planned_date", planned_date)
    note_text = check.name("note", note, max_length=1000, required=False)
    kind = check.choice("order_type", order_type, ORDER_TYPES)
    urgency = check.choice("priority", priority, PRIORITIES)
    if not isinstance(cabinets, Mapping) or not cabinets:
        raise ValidationError("cabinets", cabinets, "name at least one cabinet with its items")
    by_cabinet = _cabinet_ids(cabinets, items_required=kind in LOADING_TYPES)
    with transaction(db) as session:
        route = get_route(session, check.code("route_id", route_code))
        order = ServiceOrder(
            route_id=route.id,
            driver_username=route.driver_username,
            planned_date=planned,
            status="draft",
            order_type=kind,
            priority=urgency,
            note=note_text,
            created_by=actor.username,
            cabinets=[_cabinet_items(session, route, cid, its) for cid, its in by_cabinet.items()],
        )
        session.add(order)
        session.flush()
        audit.record(session, actor, "create", "service_order", order.id, after=dump(order))
        return session.scalars(order_query().where(ServiceOrder.id == order.id)).one()


def dump(order: ServiceOrder) -> dict[str, object]:
    data = audit.snapshot(order)
    data["served"] = {
        str(oc.cabinet_id): oc.served_at.isoformat() if oc.served_at else None
        for oc in order.cabinets
    }
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


def record(
    session: Session,
    actor: Actor,
    action: Action,
    order: ServiceOrder,
    before: dict[str, object],
    **extra: object,
) -> None:
    """Flush the change to ``order`` and audit it: before, after (with ``extra``)."""
    session.flush()
    after = dump(order) | extra
    audit.record(
        session, actor, action.value, "service_order", order.id, before=before, after=after
    )


def _transition(
    session: Session,
    actor: Actor,
    order: ServiceOrder,
    target: str,
    action: Action,
    *,
    audited: bool = True,
) -> ServiceOrder:
    if (order.status, target) not in ORDER_TRANSITIONS:
        raise Conflict(f"service order {order.id} is {order.status}; it cannot become {target}")
    before = dump(order)
    at_column, by_column = STEP_COLUMNS[target]
    order.status = target
    setattr(order, at_column, utcnow())
    setattr(order, by_column, actor.username)
    if audited:
        record(session, actor, action, order, before)
    else:
        session.flush()
    return order


def schedule_order(db: DbTarget, actor: Actor, order_id: int) -> ServiceOrder:
    """draft → scheduled."""
    with transaction(db) as session:
        order = load(session, actor, Action.SCHEDULE_ORDER, order_id)
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
        order = load(session, actor, Action.START_ORDER, order_id)
        return _transition(session, actor, order, "in_progress", Action.START_ORDER)


def complete_order(
    db: DbTarget, actor: Actor, order_id: int, delivered: Mapping[tuple[int, str], object]
) -> ServiceOrder:
    """in_progress → completed, recording per ``(cabinet_id, slot)`` what was delivered.

    Slots of the order missing from ``delivered`` are recorded as 0; a key that is not on the
    order is refused.
    """
    with transaction(db) as session:
        order = load(session, actor, Action.COMPLETE_ORDER, order_id)
        if order.status != "in_progress":
            raise Conflict(
                f"service order {order.id} is {order.status}; it cannot become completed"
            )
        quantities = checked_delivered(session, order, delivered)
        return finish(session, actor, order, quantities, Action.COMPLETE_ORDER)


def finish(
    session: Session,
    actor: Actor,
    order: ServiceOrder,
    quantities: Mapping[tuple[int, str], int],
    action: Action,
    *,
    audited: bool = True,
) -> ServiceOrder:
    """Record the checked ``quantities``, mark unserved cabinets served, and complete.

    ``audited=False``: the caller writes the audit row itself (with more in it).
    """
    for order_cabinet in order.cabinets:
        for item in order_cabinet.items:
            item.quantity_delivered = quantities[order_cabinet.cabinet_id, item.slot]
        if order_cabinet.served_at is None:
            order_cabinet.served_at = utcnow()
            order_cabinet.served_by = actor.username
    return _transition(session, actor, order, "completed", action, audited=audited)


def checked_delivered(
    session: Session, order: ServiceOrder, delivered: Mapping[tuple[int, str], object]
) -> dict[tuple[int, str], int]:
    """``delivered`` checked against the order: every (cabinet_id, slot) of it, missing ones 0.

    A key that is not on the order is refused; no slot takes more than its capacity.
    """
    items = {(oc.cabinet_id, item.slot) for oc in order.cabinets for item in oc.items}
    unknown = [key for key in delivered if key not in items]
    if unknown:
        raise ValidationError("delivered", unknown[0], "not a (cabinet_id, slot) of the order")
    capacity = _capacities(session, {cabinet_id for cabinet_id, _ in items})
    return {
        key: check.integer(
            f"quantity_delivered[{key[0]}/{key[1]}]",
            delivered.get(key, 0),
            minimum=0,
            maximum=capacity.get(key, MAX_QUANTITY),  # a slot holds no more than its size
        )
        for key in items
    }


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
        order = load(session, actor, Action.CANCEL_ORDER, order_id)
        order.cancel_reason = reason_text
        return _transition(session, actor, order, "cancelled", Action.CANCEL_ORDER)


def reassign_order(
    db: DbTarget,
    actor: Actor,
    order_id: int,
    *,
    driver: object = None,
    route: object = None,
) -> ServiceOrder:
    """Hand an open order (draft, scheduled, in progress) to another driver or route.

    Managers and admins. With ``route`` the order moves to that route and, unless ``driver``
    names one, to the route's driver. The order's recorded driver is the one who may work it;
    a route's new driver gets the orders created after the change, and older ones only
    through this call (or :func:`operations.services.order_desk.reassign_all_open`).
    """
    require(actor, Action.ASSIGN_ORDER)
    target = Reassignment.checked(driver, route)
    with transaction(db) as session:
        order = load(session, actor, Action.ASSIGN_ORDER, order_id)
        return reassign(session, actor, order, target)


@dataclass(frozen=True)
class Reassignment:
    """Where an order goes: a driver, a route (and its driver), or both."""

    driver: str | None
    route: str | None

    @classmethod
    def checked(cls, driver: object, route: object) -> Reassignment:
        """Validated names; at least one of them is required."""
        if driver in (None, "") and route in (None, ""):
            raise ValidationError("driver", driver, "name a driver or a route to hand over to")
        return cls(
            None if driver in (None, "") else check.username("driver", driver),
            None if route in (None, "") else check.code("route_id", route),
        )


def reassign(
    session: Session, actor: Actor, order: ServiceOrder, target: Reassignment
) -> ServiceOrder:
    """Move one loaded open order to ``target`` in ``session``, audited with before/after."""
    if order.status not in OPEN_STATUSES:
        raise Conflict(f"service order {order.id} is {order.status}; it cannot be reassigned")
    before = dump(order)
    driver_name = target.driver
    if target.route is not None:
        route = get_route(session, target.route)
        order.route_id = route.id
        order.route = route
        if driver_name is None:
            if route.driver_username is None:
                raise ValidationError("route_id", target.route, "the route has no driver")
            driver_name = route.driver_username
    if driver_name is not None:
        require_driver(session, "driver", driver_name)
        order.driver_username = driver_name
    record(session, actor, Action.ASSIGN_ORDER, order, before)
    return order


def edit_draft(
    db: DbTarget,
    actor: Actor,
    order_id: int,
    *,
    cabinets: Mapping[int, Sequence[ItemSpec]] | None = None,
    order_type: object = None,
    priority: object = None,
    note: object = None,
) -> ServiceOrder:
    """Change a draft's items (all of them, per cabinet), type, priority or note; audited.

    Only a draft may change: once scheduled its driver may already be loading the van.
    ``None`` leaves a field as it is; ``cabinets`` replaces the whole list of cabinets.
    """
    require(actor, Action.EDIT_ORDER)
    with transaction(db) as session:
        order = load(session, actor, Action.EDIT_ORDER, order_id)
        if order.status != "draft":
            raise Conflict(f"service order {order.id} is {order.status}; only drafts are edited")
        before = dump(order)
        if order_type is not None:
            order.order_type = check.choice("order_type", order_type, ORDER_TYPES)
        if priority is not None:
            order.priority = check.choice("priority", priority, PRIORITIES)
        if note is not None:
            order.note = check.name("note", note, max_length=1000, required=False)
        if cabinets is not None:
            if not isinstance(cabinets, Mapping) or not cabinets:
                raise ValidationError("cabinets", cabinets, "name at least one cabinet")
            by_cabinet = _cabinet_ids(cabinets, items_required=order.order_type in LOADING_TYPES)
            route = order.route
            new = [_cabinet_items(session, route, cid, its) for cid, its in by_cabinet.items()]
            for old in order.cabinets:
                for item in old.items:
                    session.delete(item)
                session.delete(old)
            session.flush()  # old rows go first: (order, cabinet) and (cabinet, slot) are unique
            session.expire(order, ["cabinets"])
            order.cabinets.extend(new)
        elif order.order_type in LOADING_TYPES and not any(oc.items for oc in order.cabinets):
            raise ValidationError("order_type", order.order_type, "the order has no items")
        record(session, actor, Action.EDIT_ORDER, order, before)
        return session.scalars(order_query().where(ServiceOrder.id == order.id)).one()


def serve_cabinet(db: DbTarget, actor: Actor, order_id: int, cabinet_id: object) -> ServiceOrder:
    """Mark one cabinet of an in-progress order served (its driver, or a manager); audited."""
    key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
    with transaction(db) as session:
        order = load(session, actor, Action.SERVE_CABINET, order_id)
        if order.status != "in_progress":
            raise Conflict(f"service order {order.id} is {order.status}; start it first")
        served = [oc for oc in order.cabinets if oc.cabinet_id == key]
        if not served:
            raise ValidationError("cabinet_id", cabinet_id, f"not on service order {order.id}")
        if served[0].served_at is not None:
            raise Conflict(f"cabinet {key} of service order {order.id} is already served")
        before = dump(order)
        served[0].served_at = utcnow()
        served[0].served_by = actor.username
        record(session, actor, Action.SERVE_CABINET, order, before)
        return order


def get_order(db: DbTarget, actor: Actor, order_id: int) -> ServiceOrder:
    """One order with its cabinets and items (a driver only if it is on their route)."""
    with transaction(db) as session:
        return load(session, actor, Action.READ_ORDERS, order_id)


@dataclass(frozen=True)
class OrderFilter:
    """Which orders to list; every field left empty matches all."""

    statuses: Sequence[str] = ()
    order_types: Sequence[str] = ()
    machine: str | None = None  # asset number: orders serving any of its cabinets
    driver: str | None = None
    route: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def list_orders(
    db: DbTarget,
    actor: Actor,
    *,
    status: str | None = None,
    planned_date: date | None = None,
    where: OrderFilter | None = None,
) -> list[ServiceOrder]:
    """Orders by planned date, filtered; drivers get only the orders recorded for them."""
    scope = require(actor, Action.READ_ORDERS)
    chosen = where or OrderFilter()
    query = order_query().order_by(ServiceOrder.planned_date, ServiceOrder.id)
    statuses = [check.choice("status", s, ORDER_STATUSES) for s in chosen.statuses]
    if status is not None:
        statuses.append(check.choice("status", status, ORDER_STATUSES))
    if statuses:
        query = query.where(ServiceOrder.status.in_(statuses))
    if chosen.order_types:
        kinds = [check.choice("order_type", t, ORDER_TYPES) for t in chosen.order_types]
        query = query.where(ServiceOrder.order_type.in_(kinds))
    if planned_date is not None:
        query = query.where(ServiceOrder.planned_date == planned_date)
    if chosen.date_from is not None:
        query = query.where(ServiceOrder.planned_date >= chosen.date_from)
    if chosen.date_to is not None:
        query = query.where(ServiceOrder.planned_date <= chosen.date_to)
    if chosen.driver is not None:
        query = query.where(ServiceOrder.driver_username == chosen.driver)
    if chosen.route is not None:
        query = query.where(ServiceOrder.route.has(Route.code == chosen.route))
    if chosen.machine is not None:
        serving = (
            select(ServiceOrderCabinet.order_id)
            .join(Cabinet, ServiceOrderCabinet.cabinet_id == Cabinet.id)
            .join(Device, Cabinet.device_id == Device.id)
            .where(Device.asset_number == chosen.machine)
        )
        query = query.where(ServiceOrder.id.in_(serving))
    if scope is Scope.OWN_ROUTES:
        query = query.where(ServiceOrder.driver_username == actor.username)
    with transaction(db) as session:
        return list(session.scalars(query))


def pick_list(db: DbTarget, actor: Actor, order_id: int) -> list[PickLine]:
    """What to take along for the order: planned and delivered quantities summed by product."""
    with transaction(db) as session:
        order = load(session, actor, Action.READ_ORDERS, order_id)
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
