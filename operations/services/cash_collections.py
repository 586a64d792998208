"""Cash collections: the driver's count of a machine's cash box and a manager's reconciliation.

A driver records what they counted (bills and coins apart, the bag number) for a machine of an
order they work; a manager reconciles each collection against the counters' expected cash
(``fct_cash_collections``): accept, investigate (a note is required) or adjust the counted total
(a reason is required). Every write is audited (entity ``cash_collection``). Drivers see and
record only collections of their own orders' routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import Conflict, NotFound, ValidationError
from operations.permissions import Action, Actor, Scope, require, require_on_route
from operations.schema import CashCollection, Device, ServiceOrder, utcnow
from operations.services.devices import device_by_serial

ENTITY = "cash_collection"
DECISIONS: tuple[str, ...] = ("accept", "investigate", "adjust")
_STATE_OF = {"accept": "accepted", "investigate": "investigating", "adjust": "adjusted"}
MAX_NOTE = 2000
# A collection box holds far less; more is a typing slip (an extra zero, cents typed as units).
MAX_COLLECTION_CENTS = 1_000_000


@dataclass(frozen=True)
class Count:
    """What was counted: bills and coins in minor units, and the bag it went in."""

    bills_cents: int
    coins_cents: int
    bag: str | None


def counted(bills: object, coins: object, bag: object) -> Count:
    """Validate a count as typed (currency units, e.g. ``"41.00"``); the bag is optional."""
    bills_cents = check.money_cents("bills", bills, maximum_cents=MAX_COLLECTION_CENTS)
    coins_cents = check.money_cents("coins", coins, maximum_cents=MAX_COLLECTION_CENTS)
    bag_text = None if bag in (None, "") else check.code("bag", bag)
    return Count(bills_cents, coins_cents, bag_text)


def find_device(session: Session, machine: str) -> Device | None:
    """The live device whose DEX serial (or alias) or asset number is ``machine``."""
    device = device_by_serial(session, machine)
    if device is None:
        device = session.scalars(
            select(Device).where(Device.asset_number == machine, Device.deleted_at.is_(None))
        ).one_or_none()
    return device


def record_count(
    db: DbTarget,
    actor: Actor,
    *,
    order_id: object,
    machine: object,
    count: Count,
    collected_at: datetime | None = None,
) -> CashCollection:
    """The driver's count of ``machine``'s box, emptied while working order ``order_id``."""
    require(actor, Action.RECORD_CASH)
    key = check.code("machine", machine)
    with transaction(db) as session:
        order = session.get(ServiceOrder, check.integer("order", order_id, minimum=1,
                                                        maximum=2**31 - 1))  # fmt: skip
        if order is None:
            raise NotFound("order", order_id)
        require_on_route(actor, Action.RECORD_CASH, order.driver_username)
        if order.status not in ("in_progress", "completed"):
            raise Conflict(f"order {order.id} is {order.status}: start it before counting cash")
        device = find_device(session, key)
        if device is None:
            raise ValidationError("machine", machine, "no such machine")
        if device.route_id != order.route_id:
            raise ValidationError("machine", machine, f"is not on the route of order {order.id}")
        collection = CashCollection(
            device_id=device.id,
            order_id=order.id,
            route_code=order.route.code if order.route is not None else None,
            driver=order.driver_username or actor.username,
            collected_at=collected_at or utcnow(),
            counted_bills_cents=count.bills_cents,
            counted_coins_cents=count.coins_cents,
            counted_cents=count.bills_cents + count.coins_cents,
            bag=count.bag,
            source="driver",
            reconcile_note="",
            created_by=actor.username,
        )
        session.add(collection)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"{key} already has a collection at that moment") from None
        audit.record(session, actor, "record", ENTITY, collection.id,
                     after=audit.snapshot(collection))  # fmt: skip
        return collection


def reconcile(
    db: DbTarget,
    actor: Actor,
    collection_id: object,
    *,
    decision: object,
    note: object = "",
    adjusted_total: object = None,
) -> CashCollection:
    """A manager's decision on a collection: ``accept``; ``investigate`` with a note saying
    what is looked into; ``adjust`` the counted total (currency units) with the reason."""
    require(actor, Action.RECONCILE_CASH)
    chosen = check.choice("decision", decision, DECISIONS)
    text = "" if note is None else str(note).strip()
    if len(text) > MAX_NOTE:
        raise ValidationError("note", note, f"is over {MAX_NOTE} characters")
    if chosen != "accept" and not text:
        raise ValidationError("note", note, f"a note is required to {chosen}")
    adjusted = None
    if chosen == "adjust":
        adjusted = check.money_cents("adjusted_total", adjusted_total,
                                     maximum_cents=MAX_COLLECTION_CENTS)  # fmt: skip
    with transaction(db) as session:
        collection = session.get(CashCollection, _id(collection_id))
        if collection is None:
            raise NotFound("cash collection", collection_id)
        before = audit.snapshot(collection)
        collection.reconcile_state = _STATE_OF[chosen]
        collection.reconcile_note = text
        collection.adjusted_cents = adjusted
        collection.reconciled_by, collection.reconciled_at = actor.username, utcnow()
        session.flush()
        audit.record(session, actor, chosen, ENTITY, collection.id, before=before,
                     after=audit.snapshot(collection))  # fmt: skip
        return collection


def _id(value: object) -> int:
    return check.integer("collection", value, minimum=1, maximum=2**63 - 1)


def list_collections(db: DbTarget, actor: Actor, limit: int = 1000) -> list[CashCollection]:
    """Collections, newest first; a driver gets only those of their own orders."""
    scope = require(actor, Action.READ_CASH)
    with reading(db) as session:
        query = select(CashCollection).order_by(CashCollection.collected_at.desc()).limit(limit)
        if scope is Scope.OWN_ROUTES:
            query = query.join(ServiceOrder, ServiceOrder.id == CashCollection.order_id).where(
                ServiceOrder.driver_username == actor.username
            )
        return list(session.scalars(query))


def export_collections(engine: Engine) -> list[dict[str, Any]]:
    """Every collection as the lake's ``master/cash_collections`` rows (the warehouse sync)."""
    with reading(engine) as session:
        rows = session.execute(
            select(CashCollection, Device.dex_serial, Device.asset_number).join(
                Device, Device.id == CashCollection.device_id
            )
        ).all()
    out = []
    for c, serial, asset in rows:
        out.append({
            "collection_id": c.id, "machine_serial": serial, "asset_number": asset,
            "route_code": c.route_code, "driver": c.driver, "bag": c.bag, "source": c.source,
            "collected_at": c.collected_at.astimezone(UTC).replace(tzinfo=None),
            "counted_bills_cents": c.counted_bills_cents,
            "counted_coins_cents": c.counted_coins_cents, "counted_cents": c.counted_cents,
            "adjusted_cents": c.adjusted_cents, "reconcile_state": c.reconcile_state,
            "reconcile_note": c.reconcile_note,
        })  # fmt: skip
    return out
