"""Service orders as tables: one row per order, per item, and summed per product.

Orders hold cabinet ids; :func:`cabinet_labels` names them after the machine and its place
(from the warehouse's master data; a cabinet created since the last materialization shows its
id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboards import data
from operations.schema import ServiceOrder
from operations.services.service_time import ServiceTimeRates, order_minutes, route_days


@dataclass(frozen=True)
class CabinetLabel:
    """How a cabinet is shown: machine, cabinet number, place."""

    machine: str  # "A00003 · cabinet 1"
    location: str
    address: str


def cabinet_labels() -> dict[int, CabinetLabel]:
    """Every cabinet id with its label."""
    frame = data.query("cabinet_labels")
    return {
        int(row.cabinet_id): CabinetLabel(
            f"{row.asset_number} · cabinet {row.cabinet_index}",
            "" if pd.isna(row.location) else str(row.location),
            "" if pd.isna(row.address) else str(row.address),
        )
        for row in frame.itertuples()
    }


def label(labels: dict[int, CabinetLabel], cabinet_id: int) -> CabinetLabel:
    """The label of ``cabinet_id`` (its id when the warehouse does not know it yet)."""
    return labels.get(cabinet_id, CabinetLabel(f"cabinet {cabinet_id}", "", ""))


def orders_frame(orders: Sequence[ServiceOrder], labels: dict[int, CabinetLabel]) -> pd.DataFrame:
    """One row per order: who, when, status, which machines, units planned and delivered."""
    rows = []
    for order in orders:
        items = [item for oc in order.cabinets for item in oc.items]
        delivered = [i.quantity_delivered for i in items if i.quantity_delivered is not None]
        rows.append(
            {
                "order": order.id,
                "planned_date": order.planned_date,
                "route": order.route.code,
                "driver": order.driver_username or "",
                "status": order.status,
                "machines": ", ".join(
                    label(labels, oc.cabinet_id).machine for oc in order.cabinets
                ),
                "slots": len(items),
                "units_planned": sum(i.quantity_planned for i in items),
                "units_delivered": sum(delivered) if delivered else None,
                "note": order.note,
            }
        )
    columns = [
        "order",
        "planned_date",
        "route",
        "driver",
        "status",
        "machines",
        "slots",
        "units_planned",
        "units_delivered",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def items_frame(order: ServiceOrder, labels: dict[int, CabinetLabel]) -> pd.DataFrame:
    """One row per slot of the order: machine and cabinet, slot, product, planned, delivered."""
    rows = [
        {
            "cabinet_id": oc.cabinet_id,
            "machine": label(labels, oc.cabinet_id).machine,
            "slot": item.slot,
            "product_id": item.product.code,
            "product": item.product.name,
            "load": item.quantity_planned,
            "delivered": item.quantity_delivered,
        }
        for oc in order.cabinets
        for item in oc.items
    ]
    columns = ["cabinet_id", "machine", "slot", "product_id", "product", "load", "delivered"]
    return pd.DataFrame(rows, columns=columns)


def per_product(items: pd.DataFrame, quantity: str) -> pd.DataFrame:
    """``items`` summed by product (``product_id``, ``product``), biggest first, without zeros."""
    summed = items.groupby(["product_id", "product"], as_index=False, dropna=False)[quantity].sum()
    summed = summed[summed[quantity] > 0]
    return summed.sort_values([quantity, "product_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def desk_frame(
    orders: Sequence[ServiceOrder], labels: dict[int, CabinetLabel], rates: ServiceTimeRates
) -> pd.DataFrame:
    """:func:`orders_frame` with type, priority, cabinets served and the estimated minutes."""
    frame = orders_frame(orders, labels)
    frame.insert(5, "type", [o.order_type for o in orders])
    frame.insert(6, "priority", [o.priority for o in orders])
    frame.insert(
        8,
        "served",
        [f"{sum(oc.served_at is not None for oc in o.cabinets)}/{len(o.cabinets)}" for o in orders],
    )
    frame["est_minutes"] = [round(order_minutes(o, rates), 2) for o in orders]
    frame["corrected_by"] = [o.corrected_by or "" for o in orders]
    return frame


def route_day_frame(orders: Sequence[ServiceOrder], rates: ServiceTimeRates) -> pd.DataFrame:
    """Per route and date: orders, stops, cabinets, units and estimated minutes (not cancelled)."""
    columns = ["route", "planned_date", "orders", "stops", "cabinets", "units", "est_minutes"]
    rows = [
        (d.route, d.planned_date, d.orders, d.stops, d.cabinets, d.units, round(d.minutes, 2))
        for d in route_days(orders, rates)
    ]
    return pd.DataFrame(rows, columns=columns)


def progress_frame(order: ServiceOrder, labels: dict[int, CabinetLabel]) -> pd.DataFrame:
    """One row per cabinet of the order: machine, served when and by whom."""
    rows = [
        {
            "machine": label(labels, oc.cabinet_id).machine,
            "served_at": oc.served_at,
            "served_by": oc.served_by or "",
        }
        for oc in order.cabinets
    ]
    return pd.DataFrame(rows, columns=["machine", "served_at", "served_by"])
