"""Master data: products, locations and routes, written by natural key; soft delete; export.

``export_tables`` is what the warehouse sync reads: every live device, cabinet and active
planogram slot as plain rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, SQLColumnExpression, select
from sqlalchemy.orm import Session

from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import (
    OPEN_STATUSES,
    PRODUCT_SIZES,
    TRAFFIC_LEVELS,
    Base,
    Cabinet,
    Device,
    Location,
    PlanogramSlot,
    PlanogramVersion,
    Product,
    RecommendationDecision,
    Route,
    ServiceOrder,
    ServiceOrderCabinet,
)
from operations.services.records import Saved, live, soft_delete, upsert
from operations.services.users import require_driver

# Entities that can be soft-deleted by natural key: (model, key column).
DELETABLE: dict[str, tuple[type[Base], str]] = {
    "product": (Product, "code"),
    "location": (Location, "code"),
    "route": (Route, "code"),
    "device": (Device, "asset_number"),
}


def save_product(
    db: DbTarget,
    actor: Actor,
    *,
    code: object,
    name: object,
    category: object,
    price: object,
    cost: object,
    size: object,
    barcode: object = None,
    image_url: object = None,
) -> Saved[Product]:
    """Create or update the product ``code`` (prices in currency units, e.g. ``"1.50"``).

    ``barcode`` and ``image_url`` are kept as they are when not given (``None``), so files
    without those columns do not wipe what was typed in since; empty text clears them.
    """
    require(actor, Action.WRITE_MASTER_DATA)
    key = {"code": check.code("product_id", code)}
    values: dict[str, object] = {
        "name": check.name("name", name),
        "category": check.name("category", category, max_length=100),
        "price_cents": check.money_cents("price", price),
        "cost_cents": check.money_cents("cost", cost),
        "size": check.choice("size", size, PRODUCT_SIZES),
    }
    if barcode is not None:
        values["barcode"] = check.barcode("barcode", barcode)
    if image_url is not None:
        values["image_url"] = check.web_url("image_url", image_url)
    with transaction(db) as session:
        return upsert(session, actor, Product, "product", key=key, values=values)


def save_location(
    db: DbTarget,
    actor: Actor,
    *,
    code: object,
    name: object,
    address: object,
    latitude: object,
    longitude: object,
    traffic: object,
    access_notes: object = None,
) -> Saved[Location]:
    """Create or update the location ``code`` with its coordinates (WGS 84 degrees).

    ``access_notes`` (how a driver gets in) is kept as it is when not given (``None``), so an
    import of files without that column does not wipe notes typed in since.
    """
    require(actor, Action.WRITE_MASTER_DATA)
    key = {"code": check.code("location_id", code)}
    values = {
        "name": check.name("name", name),
        "address": check.name("address", address, max_length=500, required=False),
        "latitude": check.number("latitude", latitude, minimum=-90, maximum=90),
        "longitude": check.number("longitude", longitude, minimum=-180, maximum=180),
        "traffic": check.choice("traffic", traffic, TRAFFIC_LEVELS),
    }
    if access_notes is not None:
        values["access_notes"] = check.name(
            "access_notes", access_notes, max_length=2000, required=False
        )
    with transaction(db) as session:
        return upsert(session, actor, Location, "location", key=key, values=values)


def save_route(
    db: DbTarget,
    actor: Actor,
    *,
    code: object,
    name: object,
    driver: object,
    service_days: object = None,
) -> Saved[Route]:
    """Create or update the route ``code``; ``driver`` is a user name (or empty for none).

    ``service_days`` (weekday mask, Monday first) is kept when not given; empty text clears it.
    """
    require(actor, Action.WRITE_MASTER_DATA)
    key = {"code": check.code("route_id", code)}
    driver_text = driver.strip() if isinstance(driver, str) else driver
    driver_name = check.username("driver", driver_text) if driver_text else None
    values: dict[str, object] = {"name": check.name("name", name), "driver_username": driver_name}
    if service_days is not None:
        days = service_days.strip() if isinstance(service_days, str) else service_days
        values["service_days"] = check.weekday_mask("service_days", days) if days else None
    with transaction(db) as session:
        if driver_name is not None:
            # A name with no account yet is accepted: master data is imported before the
            # accounts are made (`cvd up` makes one per route driver); its orders wait for it.
            require_driver(session, "driver", driver_name, missing_ok=True)
        return upsert(session, actor, Route, "route", key=key, values=values)


def get_product(session: Session, code: str) -> Product:
    """The live product ``code`` (NotFound otherwise)."""
    return live(session, Product, "product", code=code)


def get_location(session: Session, code: str) -> Location:
    """The live location ``code`` (NotFound otherwise)."""
    return live(session, Location, "location", code=code)


def get_route(session: Session, code: str) -> Route:
    """The live route ``code`` (NotFound otherwise)."""
    return live(session, Route, "route", code=code)


def list_products(db: DbTarget, actor: Actor) -> list[Product]:
    """Live products by code."""
    require(actor, Action.READ_MASTER_DATA)
    query = select(Product).where(Product.deleted_at.is_(None)).order_by(Product.code)
    with transaction(db) as session:
        return list(session.scalars(query))


def list_routes(db: DbTarget, actor: Actor) -> list[Route]:
    """Live routes by code."""
    require(actor, Action.READ_MASTER_DATA)
    query = select(Route).where(Route.deleted_at.is_(None)).order_by(Route.code)
    with transaction(db) as session:
        return list(session.scalars(query))


def delete(db: DbTarget, actor: Actor, entity: str, key: str) -> None:
    """Soft-delete the ``entity`` (product, location, route, device) with natural ``key``."""
    require(actor, Action.WRITE_MASTER_DATA)
    if entity not in DELETABLE:
        raise ValidationError("entity", entity, f"must be one of {', '.join(DELETABLE)}")
    model, column = DELETABLE[entity]
    with transaction(db) as session:
        found = live(session, model, entity, **{column: key})
        if isinstance(found, Device):
            _refuse_with_open_orders(session, found)
        soft_delete(session, actor, found, entity, key)


def _refuse_with_open_orders(session: Session, device: Device) -> None:
    """A machine with an open service order stays: a driver would be sent to a machine the
    office no longer lists. The error names the orders to complete or cancel first."""
    open_orders = session.scalars(
        select(ServiceOrder.id)
        .join(ServiceOrderCabinet, ServiceOrderCabinet.order_id == ServiceOrder.id)
        .join(Cabinet, ServiceOrderCabinet.cabinet_id == Cabinet.id)
        .where(Cabinet.device_id == device.id, ServiceOrder.status.in_(OPEN_STATUSES))
        .distinct()
        .order_by(ServiceOrder.id)
    ).all()
    if open_orders:
        numbers = ", ".join(f"#{n}" for n in open_orders)
        raise ValidationError(
            "device",
            device.asset_number,
            f"has open service orders ({numbers}): complete or cancel them first",
        )


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(query).mappings()]


def export_tables(db: DbTarget) -> dict[str, list[dict[str, Any]]]:
    """Live master data as plain rows for the warehouse sync (a system read, no actor).

    Tables: ``products``, ``locations``, ``routes``, ``devices`` (with location and route codes),
    ``cabinets``, ``planogram_slots`` (the active version of each cabinet) and
    ``planogram_history`` (every version, with its creation time and effective date), and
    ``recommendation_decisions`` (every verdict on a planogram recommendation, so the warehouse
    can follow an accepted change: ``recommendation_outcomes``). Money in cents.
    """
    with transaction(db) as session:
        return {table: _rows(session, query) for table, query in _export_queries().items()}


def export_columns() -> dict[str, list[tuple[str, type]]]:
    """The columns of each table :func:`export_tables` returns, with their Python types, so an
    empty table can be written with the types a full one would have."""
    return {
        # a TypeDecorator (UTC datetimes) reports its own type as object: ask what it wraps
        table: [
            (column.name, getattr(column.type, "impl", column.type).python_type)
            for column in query.selected_columns
        ]
        for table, query in _export_queries().items()
    }


def _export_queries() -> dict[str, Select[*tuple[Any, ...]]]:
    products = select(
        Product.code.label("product_id"),
        Product.name,
        Product.category,
        Product.price_cents,
        Product.cost_cents,
        Product.size,
    ).where(Product.deleted_at.is_(None))
    locations = select(
        Location.code.label("location_id"),
        Location.name,
        Location.address,
        Location.latitude,
        Location.longitude,
        Location.traffic,
    ).where(Location.deleted_at.is_(None))
    routes = select(
        Route.code.label("route_id"), Route.name, Route.driver_username.label("driver")
    ).where(Route.deleted_at.is_(None))
    devices = (
        select(
            Device.id.label("device_id"),
            Device.asset_number,
            Device.dex_serial,
            Device.model,
            Device.device_type,
            Location.code.label("location_id"),
            Route.code.label("route_id"),
            Device.telemetry,
            Device.service_days,
            Device.first_seen_at,
        )
        .outerjoin(Location, Device.location_id == Location.id)
        .outerjoin(Route, Device.route_id == Route.id)
        .where(Device.deleted_at.is_(None))
    )
    cabinets = (
        select(
            Cabinet.id.label("cabinet_id"),
            Device.asset_number,
            Device.dex_serial,
            Cabinet.cabinet_index,
            Cabinet.cabinet_type,
            Cabinet.rows,
            Cabinet.columns,
        )
        .join(Device, Cabinet.device_id == Device.id)
        .where(Cabinet.deleted_at.is_(None), Device.deleted_at.is_(None))
    )
    slots = _planogram_slots(active_only=True)
    # every version of every planogram, so sales can be joined to the one in force at the time
    history = _planogram_slots(active_only=False)
    return {
        "products": products,
        "locations": locations,
        "routes": routes,
        "devices": devices,
        "cabinets": cabinets,
        "planogram_slots": slots,
        "planogram_history": history,
        "recommendation_decisions": _decisions(),
    }


def _decisions() -> Select[*tuple[Any, ...]]:
    """Every recommendation decision with the codes of its products."""
    return select(
        RecommendationDecision.recommendation_id,
        RecommendationDecision.run_id,
        RecommendationDecision.machine_serial,
        RecommendationDecision.cabinet_index,
        RecommendationDecision.slot,
        RecommendationDecision.change,
        RecommendationDecision.current_product_code.label("current_product_id"),
        RecommendationDecision.recommended_product_code.label("recommended_product_id"),
        RecommendationDecision.decision,
        RecommendationDecision.decided_by,
        RecommendationDecision.decided_at,
        RecommendationDecision.service_order_id,
    ).order_by(RecommendationDecision.id)


def _planogram_slots(*, active_only: bool) -> Select[*tuple[Any, ...]]:
    """Planogram slots of live cabinets: the active version only, or every version with its
    creation time (``planogram_history``)."""
    columns: list[SQLColumnExpression[Any]] = [
        Cabinet.id.label("cabinet_id"),
        Device.asset_number,
        Cabinet.cabinet_index,
        PlanogramVersion.version.label("planogram_version"),
        PlanogramSlot.slot,
        PlanogramSlot.selection,
        Product.code.label("product_id"),
        PlanogramSlot.capacity,
        PlanogramSlot.par_level,
        PlanogramSlot.price_cents,
    ]
    if not active_only:
        columns[2:2] = [Device.dex_serial]
        columns += [
            PlanogramVersion.created_at.label("version_created_at"),
            PlanogramVersion.effective_date,
            PlanogramVersion.is_active,
        ]
    query = (
        select(*columns)
        .join(PlanogramVersion, PlanogramSlot.version_id == PlanogramVersion.id)
        .join(Cabinet, PlanogramVersion.cabinet_id == Cabinet.id)
        .join(Device, Cabinet.device_id == Device.id)
        .join(Product, PlanogramSlot.product_id == Product.id)
        .where(Cabinet.deleted_at.is_(None), Device.deleted_at.is_(None))
    )
    if active_only:
        return query.where(PlanogramVersion.is_active).order_by(Cabinet.id, PlanogramSlot.slot)
    return query.order_by(Cabinet.id, PlanogramVersion.version, PlanogramSlot.slot)
