"""The Machine page's service history: the service orders that served the machine (who
planned, drove and completed them, when, and what was loaded slot by slot), the visits seen in
its DEX reads next to the orders completed that day, and its planogram versions with who made
them. Orders and versions come from the operational database (current at once); reads from the
warehouse."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, order_tables, session, tables, ui
from operations.services import fleet, orders
from operations.services.orders import OrderFilter


def _order_rows(asset: str) -> pd.DataFrame:
    labels = order_tables.cabinet_labels()
    mine = {cid for cid, lab in labels.items() if lab.machine.startswith(f"{asset} · ")}
    found = orders.list_orders(data.ops_db(), session.actor(), where=OrderFilter(machine=asset))
    rows = [
        {
            "order": order.id,
            "order_type": order.order_type,
            "status": order.status,
            "planned_date": order.planned_date,
            "driver": order.driver_username or "",
            "created_by": order.created_by,
            "completed_by": order.completed_by or "",
            "completed_at": order.completed_at,
            "cabinet": order_tables.label(labels, oc.cabinet_id).machine,
            "slot": item.slot,
            "product": item.product.name,
            "units_planned": item.quantity_planned,
            "units_loaded": item.quantity_delivered,
        }
        for order in found
        for oc in order.cabinets
        if oc.cabinet_id in mine or not mine
        for item in oc.items
    ]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["completed_at"] = pd.to_datetime(frame["completed_at"], utc=True).dt.tz_localize(None)
    return frame


def _visits(serial: str, completed: pd.DataFrame) -> pd.DataFrame:
    reads = data.query("machine_reads", machine_serial=serial)
    if reads.empty:
        return reads
    days = pd.to_datetime(reads["read_at"]).dt.normalize()
    visits = days.value_counts().rename_axis("day").reset_index(name="dex_reads")
    done: dict[pd.Timestamp, list[str]] = {}
    if not completed.empty:
        finished = completed.dropna(subset=["completed_at"]).drop_duplicates("order")
        for row in finished.itertuples():
            done.setdefault(pd.Timestamp(row.completed_at).normalize(), []).append(f"#{row.order}")
    visits["orders_completed"] = visits["day"].map(lambda d: ", ".join(done.get(d, [])) or "–")
    return visits.sort_values("day", ascending=False)


def section(serial: str, asset: str | None) -> None:
    """Render the service history of the machine ``serial`` (asset number ``asset``)."""
    st.subheader("Service history")
    if not asset:
        st.caption("An unassigned machine has no service orders or planogram versions yet.")
        return
    loaded = _order_rows(asset)
    st.markdown("**Service orders** (who, when, what was loaded)")
    if not ui.empty_note(loaded, "No service order has served this machine."):
        tables.show(loaded, key="history_orders")
    st.markdown("**Visits seen in DEX** (days with a read, next to the orders completed then)")
    visits = _visits(serial, loaded)
    if not ui.empty_note(visits, "No DEX read yet."):
        tables.show(visits, key="history_visits")
    st.markdown("**Planogram versions** (who made each)")
    versions = fleet.planogram_versions(data.ops_db(), session.actor(), asset)
    frame = pd.DataFrame([vars(v) for v in versions])
    if not ui.empty_note(frame, "No planogram recorded."):
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None)
        tables.show(frame.rename(columns={"active": "in_force"}), key="history_versions")
