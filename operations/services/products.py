"""Products edited from the dashboards: a version check against a second editor, price changes
with the day they take effect and the machines they reach, retire and restore.

A product form carries the ``row_version`` it was opened with; a save against a product that
changed since is refused with "changed since you opened it" and writes nothing (the ORM's
version column also guards the moment between our check and the update). A new price takes an
``effective_on`` day: from today or earlier it is the product's price at once; a later day is
kept in ``product_price_changes`` and applied by :func:`apply_due_price_changes` (the warehouse
sync calls it before every export).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import Conflict, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import (
    PRODUCT_SIZES,
    Cabinet,
    Device,
    Location,
    PlanogramSlot,
    PlanogramVersion,
    Product,
    ProductPriceChange,
    Route,
    utcnow,
)
from operations.services import masterdata
from operations.services.records import live

CHANGED = "changed since you opened it"


@dataclass(frozen=True)
class PriceReach:
    """A cabinet whose planogram in force holds the product: where, which slots, at what price."""

    asset_number: str | None
    dex_serial: str | None
    location: str | None
    route: str | None
    cabinet_index: int
    slots: tuple[str, ...]
    slot_price_cents: tuple[int, ...]


def _stale(code: str, seen: int, now: int) -> Conflict:
    return Conflict(
        f"product {code!r} {CHANGED} (version {now} now, you opened version {seen}): "
        "reload it and make your change again"
    )


def _set_price(
    session: Session, actor: Actor, product: Product, cents: int, *, effective_on: date, today: date
) -> ProductPriceChange:
    change = ProductPriceChange(
        product_id=product.id,
        old_price_cents=product.price_cents,
        price_cents=cents,
        effective_on=effective_on,
        created_by=actor.username,
    )
    if effective_on <= today:
        product.price_cents = cents
        change.applied_at = utcnow()
    session.add(change)
    return change


def edit_product(
    db: DbTarget,
    actor: Actor,
    code: str,
    *,
    seen_version: object,
    name: object,
    category: object,
    cost: object,
    size: object,
    barcode: object,
    image_url: object,
    price: object,
    effective_on: object,
    today: date | None = None,
) -> Product:
    """Change the live product ``code`` opened at ``seen_version``, all or nothing.

    Every field is checked first (the error names the field). A ``price`` other than the current
    one becomes a price change from ``effective_on`` (at once when that day is ``today`` or
    earlier). Audited with the product before and after (and the price change).
    """
    require(actor, Action.WRITE_MASTER_DATA)
    seen = check.integer("row_version", seen_version, minimum=1, maximum=2**31)
    values: dict[str, object] = {
        "name": check.name("name", name),
        "category": check.name("category", category, max_length=100),
        "cost_cents": check.money_cents("cost", cost),
        "size": check.choice("size", size, PRODUCT_SIZES),
        "barcode": check.barcode("barcode", barcode),
        "image_url": check.web_url("image_url", image_url),
    }
    cents = check.money_cents("price", price)
    day = check.calendar_date("effective_on", effective_on)
    today = today or utcnow().date()
    try:
        with transaction(db) as session:
            product = live(session, Product, "product", code=code)
            if product.row_version != seen:
                raise _stale(code, seen, product.row_version)
            before = audit.snapshot(product)
            for field, value in values.items():
                setattr(product, field, value)
            change = None
            if cents != product.price_cents:
                change = _set_price(session, actor, product, cents, effective_on=day, today=today)
            session.flush()
            after = audit.snapshot(product)
            if change is not None:
                after |= {"price_change": audit.snapshot(change)}
            if after != before:
                audit.record(session, actor, "update", "product", code, before=before, after=after)
            return product
    except StaleDataError:  # another save landed between our check and our update
        raise _stale(code, seen, seen + 1) from None


def pending_price_changes(db: DbTarget, actor: Actor) -> list[tuple[str, date, int, int]]:
    """Price changes waiting for their day: (product code, day, old cents, new cents)."""
    require(actor, Action.READ_MASTER_DATA)
    query = (
        select(
            Product.code,
            ProductPriceChange.effective_on,
            ProductPriceChange.old_price_cents,
            ProductPriceChange.price_cents,
        )
        .join(Product, ProductPriceChange.product_id == Product.id)
        .where(ProductPriceChange.applied_at.is_(None))
        .order_by(ProductPriceChange.effective_on, Product.code)
    )
    with reading(db) as session:
        return [(c, d, int(o), int(n)) for c, d, o, n in session.execute(query)]


def apply_due_price_changes(db: DbTarget, actor: Actor, today: date) -> int:
    """Apply every waiting price change whose day is ``today`` or earlier (the latest day wins
    for a product); how many were applied. Audited per product."""
    require(actor, Action.WRITE_MASTER_DATA)
    with transaction(db) as session:
        due = session.scalars(
            select(ProductPriceChange)
            .where(
                ProductPriceChange.applied_at.is_(None), ProductPriceChange.effective_on <= today
            )
            .order_by(ProductPriceChange.effective_on, ProductPriceChange.id)
        ).all()
        for change in due:
            product = change.product
            before = audit.snapshot(product)
            product.price_cents = change.price_cents
            change.applied_at = utcnow()
            session.flush()
            audit.record(
                session,
                actor,
                "price",
                "product",
                product.code,
                before=before,
                after=audit.snapshot(product) | {"effective_on": change.effective_on.isoformat()},
            )
        return len(due)


def price_reach(db: DbTarget, actor: Actor, code: str) -> list[PriceReach]:
    """Every live cabinet whose planogram in force holds product ``code``, with its slots and
    the price each slot charges now (a slot priced apart from the list price keeps its own)."""
    require(actor, Action.READ_MASTER_DATA)
    query = (
        select(
            Device.asset_number,
            Device.dex_serial,
            Location.name,
            Route.code,
            Cabinet.cabinet_index,
            PlanogramSlot.slot,
            PlanogramSlot.price_cents,
        )
        .join(PlanogramVersion, PlanogramSlot.version_id == PlanogramVersion.id)
        .join(Cabinet, PlanogramVersion.cabinet_id == Cabinet.id)
        .join(Device, Cabinet.device_id == Device.id)
        .join(Product, PlanogramSlot.product_id == Product.id)
        .outerjoin(Location, Device.location_id == Location.id)
        .outerjoin(Route, Device.route_id == Route.id)
        .where(
            Product.code == code,
            PlanogramVersion.is_active,
            Cabinet.deleted_at.is_(None),
            Device.deleted_at.is_(None),
        )
        .order_by(Device.asset_number, Cabinet.cabinet_index, PlanogramSlot.slot)
    )
    found: dict[tuple[str | None, str | None, str | None, str | None, int], list[tuple[str, int]]]
    found = {}
    with reading(db) as session:
        for row in session.execute(query):
            key = (row[0], row[1], row[2], row[3], int(row[4]))
            found.setdefault(key, []).append((row[5], int(row[6])))
    return [
        PriceReach(
            *key,
            slots=tuple(slot for slot, _ in slots),
            slot_price_cents=tuple(cents for _, cents in slots),
        )
        for key, slots in found.items()
    ]


def add_product(
    db: DbTarget,
    actor: Actor,
    *,
    code: object,
    name: object,
    category: object,
    price: object,
    cost: object,
    size: object,
    barcode: object = "",
    image_url: object = "",
) -> Product:
    """Create the product ``code``; a code in use (live or retired) is refused, so adding never
    overwrites (editing is :func:`edit_product`, bringing one back ``fleet.restore``)."""
    require(actor, Action.WRITE_MASTER_DATA)
    key = check.code("product_id", code)
    with transaction(db) as session:
        taken = session.scalars(select(Product).where(Product.code == key)).one_or_none()
        if taken is not None:
            state = "a retired product: restore it" if taken.deleted_at else "another product"
            raise ValidationError("product_id", key, f"already used by {state}")
        return masterdata.save_product(
            session,
            actor,
            code=key,
            name=name,
            category=category,
            price=price,
            cost=cost,
            size=size,
            barcode=barcode,
            image_url=image_url,
        ).record


def list_all(db: DbTarget, actor: Actor) -> list[Product]:
    """Every product, retired ones too, by code."""
    require(actor, Action.READ_MASTER_DATA)
    with reading(db) as session:
        return list(session.scalars(select(Product).order_by(Product.code)))
