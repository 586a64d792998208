"""Service orders from a visit plan: one order per planned machine, its items the pre-kit picks.

The visit plan and its picks live in the warehouse (``service_plan``, ``service_plan_picks``);
callers pass the picks as :class:`PlanPick`. For each machine with at least one non-zero pick an
order is created (and scheduled, so its driver can start it) with per cabinet the slots and
quantities of the plan. A machine that already has an open or completed order for the same date
is skipped and reported, so pressing the button twice creates nothing new. All orders of one
call are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import Cabinet, Device, ServiceOrder, ServiceOrderCabinet
from operations.services import orders
from operations.services.records import live
from operations.services.rows import plain_row


@dataclass(frozen=True)
class PlanPick:
    """One slot of the plan: load ``quantity`` into ``slot`` of cabinet ``cabinet_id``."""

    cabinet_id: object
    slot: object
    quantity: object

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> PlanPick:
        """Build from a ``service_plan_picks`` row (extra columns are ignored)."""
        values = plain_row(row, ("cabinet_id", "slot", "quantity"))
        return cls(values.get("cabinet_id"), values.get("slot"), values.get("quantity"))


@dataclass(frozen=True)
class PlanOrders:
    """What a call created, and which machines it skipped with the reason."""

    created: list[ServiceOrder] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # asset number → reason


def _by_machine(
    session: Session, picks: Sequence[PlanPick]
) -> dict[int, dict[int, list[orders.ItemSpec]]]:
    """Non-zero picks grouped by device id, then cabinet id (in plan order)."""
    grouped: dict[int, dict[int, list[orders.ItemSpec]]] = {}
    device_of: dict[int, int] = {}
    for pick in picks:
        if not isinstance(pick, PlanPick):
            raise ValidationError("picks", pick, "must be PlanPick(cabinet_id, slot, quantity)")
        cabinet_id = check.integer("cabinet_id", pick.cabinet_id, minimum=1, maximum=2**62)
        quantity = check.integer("quantity", pick.quantity, minimum=0, maximum=orders.MAX_QUANTITY)
        if cabinet_id not in device_of:
            device_of[cabinet_id] = live(session, Cabinet, "cabinet", id=cabinet_id).device_id
        cabinets = grouped.setdefault(device_of[cabinet_id], {})
        items = cabinets.setdefault(cabinet_id, [])
        if quantity > 0:
            items.append(orders.ItemSpec(pick.slot, quantity))
    return grouped


def create_orders_from_plan(
    db: DbTarget,
    actor: Actor,
    *,
    route_code: object,
    planned_date: object,
    picks: Sequence[PlanPick],
    schedule: bool = True,
) -> PlanOrders:
    """One order per machine of the plan (zero quantities left out), scheduled; atomic, audited.

    Machines whose picks are all zero get no order; machines that already have an order on
    ``planned_date`` that is not cancelled are skipped. Both appear in ``skipped`` with why.
    """
    require(actor, Action.CREATE_ORDER)
    if schedule:
        require(actor, Action.SCHEDULE_ORDER)
    planned = check.calendar_date("planned_date", planned_date)
    route = check.code("route_id", route_code)
    if isinstance(picks, str | bytes) or not isinstance(picks, Sequence) or not picks:
        raise ValidationError("picks", picks, "the plan has no picks")
    result = PlanOrders()
    with transaction(db) as session:
        for device_id, cabinets in _by_machine(session, picks).items():
            device = session.get_one(Device, device_id)
            asset = device.asset_number or device.dex_serial or str(device.id)
            existing = session.scalars(
                select(ServiceOrder.id)
                .join(ServiceOrderCabinet, ServiceOrderCabinet.order_id == ServiceOrder.id)
                .join(Cabinet, ServiceOrderCabinet.cabinet_id == Cabinet.id)
                .where(
                    Cabinet.device_id == device_id,
                    ServiceOrder.planned_date == planned,
                    ServiceOrder.status != "cancelled",
                )
            ).first()
            if existing is not None:
                result.skipped[asset] = f"order {existing} already exists for {planned}"
                continue
            loads = {cid: items for cid, items in cabinets.items() if items}
            if not loads:
                result.skipped[asset] = "nothing to load (every pick is 0)"
                continue
            order = orders.create_order(
                session,
                actor,
                route_code=route,
                planned_date=planned,
                cabinets=loads,
                note=f"visit plan {route} {planned}",
            )
            if schedule:
                order = orders.schedule_order(session, actor, order.id)
            result.created.append(order)
    return result
