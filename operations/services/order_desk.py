"""The manager's order desk: orders for any machine, hand-overs, work done on a driver's behalf.

- :func:`prefill` proposes what to load into each slot of the chosen cabinets: the visit plan's
  pick where the plan has one, else the slot's par level minus its estimated level (unknown
  levels count as empty), never more than the slot's capacity. The manager edits the
  proposal before :func:`create_machine_order` writes it (and may edit the draft later).
- :func:`reassign_all_open` hands every open order of a driver (one who left, say) to another
  driver or route in one transaction.
- :func:`complete_on_behalf` completes a scheduled or in-progress order for its driver;
  :func:`correct_order` changes what a completed order delivered. Both are audited with the
  order before and after, and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import Conflict, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import OPEN_STATUSES, Cabinet, Device, ServiceOrder, utcnow
from operations.services import orders
from operations.services.planograms import active_version
from operations.services.records import live
from operations.services.users import require_driver

SlotKey = tuple[int, str]  # (cabinet id, slot)


@dataclass(frozen=True)
class Proposal:
    """One slot's proposed load, and where the number came from (``plan`` or ``par``)."""

    cabinet_id: int
    slot: str
    product_id: int
    capacity: int
    par_level: int
    quantity: int
    source: str


def machine_cabinets(db: DbTarget, actor: Actor, asset_numbers: Sequence[object]) -> list[int]:
    """The live cabinets of the machines ``asset_numbers`` (in machine, then cabinet order)."""
    require(actor, Action.READ_MASTER_DATA)
    if isinstance(asset_numbers, str | bytes) or not asset_numbers:
        raise ValidationError("machines", asset_numbers, "choose at least one machine")
    ids: list[int] = []
    with transaction(db) as session:
        for asset in asset_numbers:
            device = live(session, Device, "machine", asset_number=check.code("machine", asset))
            ids += session.scalars(
                select(Cabinet.id)
                .where(Cabinet.device_id == device.id, Cabinet.deleted_at.is_(None))
                .order_by(Cabinet.cabinet_index)
            )
    return ids


def prefill(
    db: DbTarget,
    actor: Actor,
    cabinet_ids: Sequence[int],
    *,
    picks: Mapping[SlotKey, int] | None = None,
    levels: Mapping[SlotKey, int] | None = None,
) -> list[Proposal]:
    """Proposed quantities per slot of the cabinets' active planograms (see the module doc)."""
    require(actor, Action.READ_PLANOGRAM)
    plan, level_of = picks or {}, levels or {}
    proposals: list[Proposal] = []
    with transaction(db) as session:
        for cabinet_id in cabinet_ids:
            version = active_version(session, cabinet_id)
            for slot in version.slots if version is not None else []:
                key = (cabinet_id, slot.slot)
                if key in plan:
                    wanted, source = plan[key], "plan"
                else:
                    wanted, source = slot.par_level - level_of.get(key, 0), "par"
                quantity = min(max(wanted, 0), slot.capacity)
                proposals.append(
                    Proposal(
                        cabinet_id,
                        slot.slot,
                        slot.product_id,
                        slot.capacity,
                        slot.par_level,
                        quantity,
                        source,
                    )
                )
    return proposals


def create_machine_order(
    db: DbTarget,
    actor: Actor,
    *,
    cabinets: Mapping[int, Sequence[orders.ItemSpec]],
    planned_date: object,
    order_type: object = "restock",
    priority: object = "normal",
    note: object = "",
    route_code: object = None,
) -> ServiceOrder:
    """A draft order for the chosen cabinets on any date, on their machines' route.

    Zero quantities are left out. The cabinets must share one route (a machine with no route
    needs ``route_code``); the order goes to that route's driver.
    """
    require(actor, Action.CREATE_ORDER)
    if not isinstance(cabinets, Mapping) or not cabinets:
        raise ValidationError("cabinets", cabinets, "choose at least one cabinet")
    route = route_code
    if route in (None, ""):
        route = _shared_route(db, list(cabinets))
    loads = {
        cabinet: [item for item in items if item.quantity not in (0, "0")]
        for cabinet, items in cabinets.items()
    }
    return orders.create_order(
        db,
        actor,
        route_code=route,
        planned_date=planned_date,
        cabinets=loads,
        note=note,
        order_type=order_type,
        priority=priority,
    )


def _shared_route(db: DbTarget, cabinet_ids: list[object]) -> str:
    with transaction(db) as session:
        codes: set[str] = set()
        for cabinet_id in cabinet_ids:
            key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
            device = session.get_one(Device, live(session, Cabinet, "cabinet", id=key).device_id)
            if device.route is None:
                raise ValidationError(
                    "route_id", None, f"machine {device.asset_number} has no route: name one"
                )
            codes.add(device.route.code)
    if len(codes) > 1:
        raise ValidationError(
            "cabinets", sorted(codes), "the machines are on different routes: one order each"
        )
    return codes.pop()


def reassign_all_open(
    db: DbTarget,
    actor: Actor,
    *,
    from_driver: object,
    driver: object = None,
    route: object = None,
) -> list[ServiceOrder]:
    """Hand every open order of ``from_driver`` to ``driver`` and/or ``route``: all or none.

    ``from_driver`` may be a deactivated account (the usual case: the driver left); the
    target driver must be an active driver. Each order is audited as its own reassignment.
    """
    require(actor, Action.ASSIGN_ORDER)
    leaving = check.username("from_driver", from_driver)
    target = orders.Reassignment.checked(driver, route)
    if target.driver == leaving:
        raise ValidationError("driver", driver, "is the driver the orders are taken from")
    with transaction(db) as session:
        if target.driver is not None:
            require_driver(session, "driver", target.driver)
        open_orders = session.scalars(
            orders.order_query()
            .where(
                ServiceOrder.driver_username == leaving,
                ServiceOrder.status.in_(OPEN_STATUSES),
            )
            .order_by(ServiceOrder.planned_date, ServiceOrder.id)
        ).all()
        if not open_orders:
            raise ValidationError("from_driver", leaving, "has no open orders")
        return [orders.reassign(session, actor, order, target) for order in open_orders]


def complete_on_behalf(
    db: DbTarget,
    actor: Actor,
    order_id: int,
    delivered: Mapping[SlotKey, object],
    *,
    reason: object,
) -> ServiceOrder:
    """Complete a scheduled or in-progress order for its driver (a manager), with a reason.

    A scheduled order is started on the way (stamped as started by the manager). The audit
    row ``order.complete_for`` holds the order before and after and the reason.
    """
    require(actor, Action.COMPLETE_FOR_DRIVER)
    why = check.name("reason", reason, max_length=1000)
    with transaction(db) as session:
        order = orders.load(session, actor, Action.COMPLETE_FOR_DRIVER, order_id)
        if order.status not in ("scheduled", "in_progress"):
            raise Conflict(
                f"service order {order.id} is {order.status}; only scheduled or in-progress"
                " orders are completed"
            )
        before = orders.dump(order)
        quantities = orders.checked_delivered(session, order, delivered)
        if order.status == "scheduled":
            order.status = "in_progress"
            order.started_at, order.started_by = utcnow(), actor.username
            session.flush()  # the database allows scheduled → in_progress → completed, in steps
        orders.finish(session, actor, order, quantities, Action.COMPLETE_FOR_DRIVER, audited=False)
        orders.record(
            session,
            actor,
            Action.COMPLETE_FOR_DRIVER,
            order,
            before,
            reason=why,
            driver=order.driver_username,
        )
        return order


def correct_order(
    db: DbTarget,
    actor: Actor,
    order_id: int,
    delivered: Mapping[SlotKey, object],
    *,
    reason: object,
) -> ServiceOrder:
    """Correct the delivered quantities of a completed order (only the slots named change).

    Audited as ``order.correct`` with the order before and after and the reason; the order
    records who corrected it last.
    """
    require(actor, Action.CORRECT_ORDER)
    why = check.name("reason", reason, max_length=1000)
    if not isinstance(delivered, Mapping) or not delivered:
        raise ValidationError("delivered", delivered, "name at least one slot to correct")
    with transaction(db) as session:
        order = orders.load(session, actor, Action.CORRECT_ORDER, order_id)
        if order.status != "completed":
            raise Conflict(f"service order {order.id} is {order.status}; only completed orders")
        before = orders.dump(order)
        current = {
            (oc.cabinet_id, item.slot): item.quantity_delivered or 0
            for oc in order.cabinets
            for item in oc.items
        }
        quantities = orders.checked_delivered(session, order, {**current, **delivered})
        if quantities == current:
            raise ValidationError("delivered", dict(delivered), "changes nothing")
        for oc in order.cabinets:
            for item in oc.items:
                item.quantity_delivered = quantities[oc.cabinet_id, item.slot]
        order.corrected_at, order.corrected_by = utcnow(), actor.username
        orders.record(session, actor, Action.CORRECT_ORDER, order, before, reason=why)
        return order
