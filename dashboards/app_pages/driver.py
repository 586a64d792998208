"""The driver's view, made for a phone: one column, big buttons. The orders of the signed-in
driver only (the service layer filters them), for the chosen day: per machine and cabinet what
to load; start the order; record what was delivered per slot; complete."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboards import actions, data, order_tables, session
from dashboards.escape import md
from operations.schema import ServiceOrder
from operations.services import orders

DRIVER_ONLY = frozenset({"driver"})
WORKABLE = ("scheduled", "in_progress")


def _default_day(days: list[date], open_days: set[date]) -> int:
    """Today if it has orders, else the next day with open orders, else the last open one."""
    today = date.today()
    upcoming = [d for d in days if d >= today and d in open_days]
    pick = today if today in days else (upcoming[0] if upcoming else None)
    if pick is None and open_days:
        pick = max(open_days)
    return days.index(pick) if pick in days else len(days) - 1


def _day_label(day: date) -> str:
    return f"{day:%a %d %b %Y}" + (" (today)" if day == date.today() else "")


def _cabinets(order: ServiceOrder, labels: dict[int, order_tables.CabinetLabel]) -> None:
    items = order_tables.items_frame(order, labels)
    for cabinet_id, rows in items.groupby("cabinet_id", sort=False):
        place = order_tables.label(labels, int(cabinet_id))
        st.markdown(f"**{md(place.machine)}**  \n{md(place.location)} · {md(place.address)}")
        shown = rows[["slot", "product", "load"]].copy()
        if order.status == "completed":
            shown["delivered"] = rows["delivered"]
        st.dataframe(shown, hide_index=True, width="stretch")
    st.markdown("**Take along** (whole order)")
    st.dataframe(order_tables.per_product(items, "load"), hide_index=True, width="stretch")


def _start(order: ServiceOrder) -> None:
    who = session.actor()
    if st.button(
        f"Start order #{order.id}", key=f"start_{order.id}", type="primary", width="stretch"
    ):
        actions.perform(
            "start the order",
            lambda: orders.start_order(data.ops_db(), who, order.id),
            lambda done: f"Order #{done.id} started: record what you deliver, then complete.",
        )


def _complete(order: ServiceOrder, labels: dict[int, order_tables.CabinetLabel]) -> None:
    who = session.actor()
    with st.form(f"complete_{order.id}"):
        st.markdown("**Delivered** (pre-filled with the planned quantity)")
        delivered: dict[tuple[int, str], int | None] = {}
        for oc in order.cabinets:
            machine = order_tables.label(labels, oc.cabinet_id).machine
            for item in oc.items:
                delivered[(oc.cabinet_id, item.slot)] = st.number_input(
                    md(f"{machine} · {item.slot} · {item.product.name}"),
                    min_value=0,
                    max_value=orders.MAX_QUANTITY,
                    value=item.quantity_planned,
                    step=1,
                    key=f"delivered_{order.id}_{oc.cabinet_id}_{item.slot}",
                )
        done = st.form_submit_button(
            f"Complete order #{order.id}",
            type="primary",
            width="stretch",
            key=f"complete_submit_{order.id}",
        )
    if not done:
        return
    missing = [f"{cab}/{slot}" for (cab, slot), value in delivered.items() if value is None]
    if missing:
        st.error(f"Enter a delivered quantity for {md(', '.join(missing))}. Nothing was changed.")
        return
    actions.perform(
        "complete the order",
        lambda: orders.complete_order(data.ops_db(), who, order.id, delivered),
        lambda finished: f"Order #{finished.id} completed. Thank you!",
    )


def main() -> None:
    """Render the page."""
    session.require_role(DRIVER_ONLY)
    who = session.actor()
    st.title("My orders")
    actions.show_outcome()
    mine = [o for o in orders.list_orders(data.ops_db(), who) if o.status != "cancelled"]
    if not mine:
        st.info("No service orders for you.")
        return
    days = sorted({o.planned_date for o in mine})
    open_days = {o.planned_date for o in mine if o.status in WORKABLE}
    day = st.selectbox(
        "Day", days, index=_default_day(days, open_days), format_func=_day_label, key="driver_day"
    )
    show_done = st.toggle("Show completed orders", key="driver_done")
    todays = [o for o in mine if o.planned_date == day and (show_done or o.status != "completed")]
    if not todays:
        st.info("Nothing open for this day.")
        return
    labels = order_tables.cabinet_labels()
    for order in todays:
        st.subheader(f"Order #{order.id} · {order.status.replace('_', ' ')}")
        st.caption(
            md(f"Route {order.route.code} · planned {order.planned_date}")
            + (f" · {md(order.note)}" if order.note else "")
        )
        _cabinets(order, labels)
        if order.status == "draft":
            st.caption("Not released yet: the office still has to schedule this order.")
        elif order.status == "scheduled":
            _start(order)
        elif order.status == "in_progress":
            _complete(order, labels)
        st.divider()


main()
