"""Orders (admins, managers): every service order, filtered; a new order for any machine and
date; hand-over of one order or all of a driver's; completion on a driver's behalf and
corrections; history per machine or driver (CSV); estimated minutes per route and day."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboards import actions, data, order_forms, order_tables, session, tables
from dashboards.order_forms import HISTORY_MACHINE_KEY
from dashboards.pages import MANAGERS
from operations.schema import ORDER_STATUSES, ORDER_TYPES, ServiceOrder
from operations.services import masterdata, orders
from operations.services.orders import OrderFilter
from orchestration.settings import load_service_times
from transforms.spreadsheet import frame_csv


def _dates(label: str, key: str) -> tuple[date | None, date | None]:
    chosen = st.date_input(label, value=(), key=key)
    if isinstance(chosen, tuple) and len(chosen) == 2:
        return chosen[0], chosen[1]
    if isinstance(chosen, tuple) and len(chosen) == 1:
        return chosen[0], None
    return None, None


def _filters(assets: list[str], drivers: list[str], routes: list[str]) -> OrderFilter:
    cols = st.columns(3)
    machine = cols[0].selectbox("Machine", ["all", *assets], key="f_machine")
    driver = cols[1].selectbox("Driver", ["all", *drivers], key="f_driver")
    route = cols[2].selectbox("Route", ["all", *routes], key="f_route")
    cols = st.columns(3)
    statuses = cols[0].multiselect("Status", ORDER_STATUSES, key="f_status")
    kinds = cols[1].multiselect("Type", ORDER_TYPES, key="f_type")
    with cols[2]:
        start, end = _dates("Planned between", "f_dates")
    return OrderFilter(
        statuses=statuses,
        order_types=kinds,
        machine=None if machine == "all" else machine,
        driver=None if driver == "all" else driver,
        route=None if route == "all" else route,
        date_from=start,
        date_to=end,
    )


def _orders_tab(shown: list[ServiceOrder]) -> None:
    rates = load_service_times()
    labels = order_tables.cabinet_labels()
    tables.show(order_tables.desk_frame(shown, labels, rates), hide_index=True, width="stretch")
    st.subheader("Estimated service time per route and day")
    st.caption(
        f"{rates.minutes_per_stop:g} min per stop, {rates.minutes_per_cabinet:g} per cabinet, "
        f"{rates.minutes_per_unit:g} per unit (CVD_MINUTES_PER_STOP, _CABINET, _UNIT); "
        "cancelled orders left out."
    )
    tables.show(order_tables.route_day_frame(shown, rates), hide_index=True, width="stretch")
    if not shown:
        return
    by_id = {o.id: o for o in shown}
    chosen = st.selectbox(
        "Order details",
        list(by_id),
        key="desk_detail",
        format_func=lambda i: f"#{i} · {by_id[i].order_type} · {by_id[i].status}",
    )
    cols = st.columns(2)
    items = order_tables.items_frame(by_id[chosen], labels).drop(columns=["cabinet_id"])
    cols[0].dataframe(items, hide_index=True, width="stretch")
    cols[1].dataframe(
        order_tables.progress_frame(by_id[chosen], labels), hide_index=True, width="stretch"
    )


def _history_tab(assets: list[str], drivers: list[str]) -> None:
    who = session.actor()
    cols = st.columns(2)
    per = cols[0].radio("History per", ["machine", "driver"], horizontal=True, key="h_per")
    if per == "machine":
        options = assets
        preset = st.session_state.pop(HISTORY_MACHINE_KEY, None)
        if preset in options:
            st.session_state["h_which"] = preset
    else:
        options = drivers
    which = cols[1].selectbox(per.capitalize(), options, key="h_which")
    if which is None:
        st.info(f"No {per} has orders yet.")
        return
    start, end = _dates("Planned between", "h_dates")
    where = OrderFilter(
        machine=which if per == "machine" else None,
        driver=which if per == "driver" else None,
        date_from=start,
        date_to=end,
    )
    history = orders.list_orders(data.ops_db(), who, where=where)
    frame = order_tables.desk_frame(history, order_tables.cabinet_labels(), load_service_times())
    st.caption(f"{len(history)} orders")
    tables.show(frame, hide_index=True, width="stretch")
    st.download_button(
        "History (CSV)",
        frame_csv(frame),
        file_name=f"orders-{per}-{which}.csv",
        mime="text/csv",
        key="h_csv",
    )


def main() -> None:
    """Render the page."""
    who = session.require_role(MANAGERS)
    st.title("Service orders")
    actions.show_outcome()
    everything = orders.list_orders(data.ops_db(), who)
    labels = data.query("cabinet_labels")
    assets = sorted(labels["asset_number"].dropna().unique())
    routes = masterdata.list_routes(data.ops_db(), who)
    route_codes = [r.code for r in routes]
    drivers = sorted(
        {r.driver_username for r in routes if r.driver_username}
        | {o.driver_username for o in everything if o.driver_username}
    )
    if HISTORY_MACHINE_KEY in st.session_state:
        st.info("The machine's order history is on the History tab.")
    tabs = st.tabs(["Orders", "New order", "Reassign", "Complete or correct", "History"])
    with tabs[0]:
        where = _filters(assets, drivers, route_codes)
        shown = orders.list_orders(data.ops_db(), who, where=where)
        st.caption(f"{len(shown)} of {len(everything)} orders")
        _orders_tab(shown)
    with tabs[1]:
        order_forms.new_order()
    with tabs[2]:
        order_forms.reassign(shown, drivers, route_codes)
    with tabs[3]:
        order_forms.on_behalf(shown)
    with tabs[4]:
        _history_tab(assets, drivers)


main()
