"""Every master-data table as the CSV file ``cvd import master-data`` reads (docs/master-data.md).

What :func:`export_files` returns, written out and imported again, changes nothing: the same
columns (the optional ones included), money as decimals in currency units, booleans as
``true``/``false``. Retired records are left out, as an import cannot retire. The caller writes
the CSV text (the dashboards through ``transforms.spreadsheet``, formula-safe).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from operations.db import DbTarget, reading
from operations.importer import MASTER_DATA_FILES, PLANOGRAM_COLUMNS, PLANOGRAM_FILE, ROW_FILES
from operations.permissions import Action, Actor, require
from operations.schema import (
    Cabinet,
    Device,
    Location,
    PlanogramSlot,
    PlanogramVersion,
    Product,
    Route,
)

Table = tuple[list[str], list[list[object]]]


def _money(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _text(value: object) -> object:
    return "" if value is None else value


def _header(file: str) -> list[str]:
    if file == PLANOGRAM_FILE:
        return list(PLANOGRAM_COLUMNS)
    spec = ROW_FILES[file]
    return [*spec.columns, *spec.optional]


def _place(record: Location | Route | None) -> str:
    return record.code if record is not None and record.deleted_at is None else ""


def export_files(db: DbTarget, actor: Actor) -> dict[str, Table]:
    """File name → (header, rows) for every master-data file, in import order; each header is
    the importer's columns (``operations.importer``), optional ones included."""
    require(actor, Action.EXPORT_MASTER_DATA)
    live_device = Device.deleted_at.is_(None) & Device.asset_number.is_not(None)
    rows: dict[str, list[dict[str, object]]] = {}
    with reading(db) as session:
        rows["products.csv"] = [
            {
                "product_id": p.code,
                "name": p.name,
                "category": p.category,
                "price": _money(p.price_cents),
                "cost": _money(p.cost_cents),
                "size": p.size,
                "barcode": p.barcode,
                "image_url": p.image_url,
            }
            for p in session.scalars(
                select(Product).where(Product.deleted_at.is_(None)).order_by(Product.code)
            )
        ]
        rows["locations.csv"] = [
            {
                "location_id": loc.code,
                "name": loc.name,
                "address": loc.address,
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "traffic": loc.traffic,
                "access_notes": loc.access_notes,
            }
            for loc in session.scalars(
                select(Location).where(Location.deleted_at.is_(None)).order_by(Location.code)
            )
        ]
        rows["routes.csv"] = [
            {
                "route_id": r.code,
                "name": r.name,
                "driver": r.driver_username,
                "service_days": r.service_days,
            }
            for r in session.scalars(
                select(Route).where(Route.deleted_at.is_(None)).order_by(Route.code)
            )
        ]
        device_query = select(Device).where(live_device).order_by(Device.asset_number)
        rows["devices.csv"] = [
            {
                "asset_number": d.asset_number,
                "dex_serial": d.dex_serial,
                "model": d.model,
                "device_type": d.device_type,
                "location_id": _place(d.location),
                "route_id": _place(d.route),
                "telemetry": "true" if d.telemetry else "false",
                "service_days": d.service_days,
            }
            for d in session.scalars(device_query)
        ]
        cabinet_query = (
            select(Device.asset_number, Cabinet)
            .join(Device, Cabinet.device_id == Device.id)
            .where(live_device, Cabinet.deleted_at.is_(None))
            .order_by(Device.asset_number, Cabinet.cabinet_index)
        )
        rows["cabinets.csv"] = [
            {
                "asset_number": asset,
                "cabinet_index": c.cabinet_index,
                "cabinet_type": c.cabinet_type,
                "rows": c.rows,
                "columns": c.columns,
            }
            for asset, c in session.execute(cabinet_query)
        ]
        slot_query = (
            select(Device.asset_number, Cabinet.cabinet_index, PlanogramSlot, Product.code)
            .join(PlanogramVersion, PlanogramSlot.version_id == PlanogramVersion.id)
            .join(Cabinet, PlanogramVersion.cabinet_id == Cabinet.id)
            .join(Device, Cabinet.device_id == Device.id)
            .join(Product, PlanogramSlot.product_id == Product.id)
            .where(live_device, Cabinet.deleted_at.is_(None), PlanogramVersion.is_active)
            .order_by(Device.asset_number, Cabinet.cabinet_index, PlanogramSlot.id)
        )
        rows[PLANOGRAM_FILE] = [
            {
                "asset_number": asset,
                "cabinet_index": index,
                "slot": s.slot,
                "selection": s.selection,
                "product_id": code,
                "capacity": s.capacity,
                "par_level": s.par_level,
                "price": _money(s.price_cents),
            }
            for asset, index, s, code in session.execute(slot_query)
        ]
    tables: dict[str, Table] = {}
    for file in MASTER_DATA_FILES:
        header = _header(file)
        tables[file] = (header, [[_text(row[c]) for c in header] for row in rows[file]])
    return tables
