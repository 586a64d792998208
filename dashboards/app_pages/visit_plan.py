"""Visit plan and service orders: for a route and date, the machines to visit (scores, reasons)
and the pre-kit pick list per machine and for the whole route (print view, CSV); create the
service orders from it; list and filter orders, schedule drafts, cancel with a reason."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import actions, data, order_tables, photo_view, session, tables, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from operations.permissions import Action
from operations.schema import ORDER_STATUSES
from operations.services import orders
from operations.services.visit_orders import PlanOrders, PlanPick, create_orders_from_plan
from transforms.spreadsheet import frame_csv

MAX_REASON = 1000
NO_ROUTE = "(no route)"  # visit_plan_dates.sql: stops of machines known only from DEX
PLAN_COLUMNS = [
    "stop",
    "asset_number",
    "machine_serial",
    "planogram",
    "location",
    "score",
    "need_date",
    "sold_out_slots",
    "core_out",
    "days_since_service",
    "reasons",
]
PICK_COLUMNS = [
    "asset_number",
    "cabinet_index",
    "slot",
    "product_id",
    "product_name",
    "par_level",
    "predicted_level",
    "quantity",
]


def _choose_plan(dates: pd.DataFrame) -> tuple[str, str] | None:
    routes = list(dict.fromkeys(dates["route_id"]))
    names = {
        r.route_id: f"{r.route_id} · {r.route_name or ''} ({r.driver or 'no driver'})"
        for r in dates.itertuples()
    }
    cols = st.columns(2)
    route = cols[0].selectbox("Route", routes, format_func=names.get, key="plan_route")
    days = [
        pd.Timestamp(d).date().isoformat()
        for d in dates.loc[dates["route_id"] == route, "plan_date"]
    ]
    day = cols[1].selectbox("Date", days, key="plan_date")
    return (route, day) if route and day else None


def _print_view(
    plan: pd.DataFrame, picks: pd.DataFrame, summary: pd.DataFrame, route: str, day: str
) -> None:
    """Plain markdown tables: what a browser prints cleanly on paper."""
    lines = [f"### Pick list · route {md(route)} · {md(day)}", ""]
    for stop in plan.itertuples():
        mine = picks[(picks["asset_number"] == stop.asset_number) & (picks["quantity"] > 0)]
        lines += [
            f"**Stop {stop.stop}: {md(stop.asset_number)}** · {md(stop.location)}",
            "",
            "| cabinet | slot | product | load |",
            "|---|---|---|---:|",
        ]
        lines += [
            f"| {p.cabinet_index} | {md(p.slot)} | {md(p.product_name)} | {p.quantity} |"
            for p in mine.itertuples()
        ]
        lines.append("")
    lines += ["**Whole route, per product**", "", "| product | name | load |", "|---|---|---:|"]
    lines += [
        f"| {md(s.product_id)} | {md(s.product_name)} | {s.quantity} |"
        for s in summary.itertuples()
    ]
    st.markdown("\n".join(lines))


def _create_orders(route: str, day: str, picks: pd.DataFrame) -> None:
    who = session.actor()
    planned = picks[picks["quantity"] > 0]
    machines = planned["asset_number"].nunique()
    st.markdown(f"**Service orders** · {machines} machines with something to load.")
    release = st.toggle(
        "Schedule at once (release to the driver)",
        key="schedule_now",
        help="Otherwise the orders are drafts until scheduled on the Service orders tab.",
    )
    if not st.button(
        f"Create service orders for {md(route)} on {md(day)}",
        type="primary",
        key="create_orders",
        disabled=planned.empty,
    ):
        return
    specs = [PlanPick.from_row(row) for row in picks.to_dict("records")]

    def outcome(result: PlanOrders) -> str:
        made = ", ".join(f"#{o.id}" for o in result.created) or "none"
        skipped = "; ".join(f"{md(asset)}: {md(why)}" for asset, why in result.skipped.items())
        state = "scheduled" if release else "drafts: schedule them on the Service orders tab"
        return f"Created {len(result.created)} service orders ({made}; {state})." + (
            f" Skipped {skipped}." if skipped else ""
        )

    actions.perform(
        "create service orders",
        lambda: create_orders_from_plan(
            data.ops_db(), who, route_code=route, planned_date=day, picks=specs, schedule=release
        ),
        outcome,
    )


def _plan_tab() -> None:
    dates = data.query("visit_plan_dates")
    if dates.empty:
        st.info("No visit plan yet: the visit planner has not run on this data.")
        return
    chosen = _choose_plan(dates)
    if chosen is None:
        return
    route, day = chosen
    plan = data.query("visit_plan", route_id=route, plan_date=day)
    picks = data.query("visit_picks", route_id=route, plan_date=day)
    summary = (
        picks.groupby(["product_id", "product_name"], as_index=False)["quantity"]
        .sum()
        .query("quantity > 0")
        .sort_values(["quantity", "product_id"], ascending=[False, True])
    )
    cols = st.columns(3)
    cols[0].metric("Machines to visit", len(plan))
    cols[1].metric("Units to load", int(picks["quantity"].sum()))
    cols[2].metric("Products", len(summary))
    if st.toggle("Print view", key="print_view"):
        _print_view(plan, picks, summary, route, day)
    else:
        st.subheader("Machines to visit")
        tables.show(plan[PLAN_COLUMNS], hide_index=True, width="stretch")
        st.subheader("Pick list per machine")
        tables.show(
            picks.loc[picks["quantity"] > 0, PICK_COLUMNS], hide_index=True, width="stretch"
        )
        st.subheader("Whole route, per product")
        tables.show(summary, hide_index=True, width="stretch")
    cols = st.columns(2)
    cols[0].download_button(
        "Pick list per machine (CSV)",
        frame_csv(picks[PICK_COLUMNS]),
        file_name=f"picks-{route}-{day}.csv",
        mime="text/csv",
        key="csv_picks",
    )
    cols[1].download_button(
        "Route per product (CSV)",
        frame_csv(summary),
        file_name=f"route-{route}-{day}.csv",
        mime="text/csv",
        key="csv_route",
    )
    if (plan["planogram"] == "observed").any():
        st.info(
            "Machines marked *observed* are known only from DEX: their planogram, par levels and "
            "service days are read off their DEX files until their master data is imported."
        )
    if route == NO_ROUTE:
        st.caption("These machines have no route yet: place them on one to create orders.")
    elif session.allowed(Action.CREATE_ORDER):
        _create_orders(route, day, picks)


def _filtered(all_orders: list[orders.ServiceOrder]) -> list[orders.ServiceOrder]:
    cols = st.columns(4)
    statuses = cols[0].multiselect("Status", ORDER_STATUSES, key="orders_status")
    routes = sorted({o.route.code for o in all_orders})
    route = cols[1].selectbox("Route", ["all", *routes], key="orders_route")
    drivers = sorted({o.driver_username or "" for o in all_orders})
    driver = cols[2].selectbox("Driver", ["all", *drivers], key="orders_driver")
    day: date | None = cols[3].date_input("Planned date", value=None, key="orders_date")
    return [
        o
        for o in all_orders
        if (not statuses or o.status in statuses)
        and route in {"all", o.route.code}
        and driver in {"all", o.driver_username or ""}
        and (day is None or o.planned_date == day)
    ]


def _manage(shown: list[orders.ServiceOrder]) -> None:
    who = session.actor()
    drafts = [o.id for o in shown if o.status == "draft"]
    if drafts and session.allowed(Action.SCHEDULE_ORDER):
        with st.form("schedule_orders"):
            chosen = st.multiselect(
                "Draft orders to schedule (released to their drivers)",
                drafts,
                default=drafts,
                key="schedule_ids",
            )
            if st.form_submit_button("Schedule selected orders", key="schedule_submit"):
                if not chosen:
                    st.error("Choose at least one order to schedule.")
                else:
                    actions.perform(
                        "schedule orders",
                        lambda: orders.schedule_orders(data.ops_db(), who, chosen),
                        lambda done: f"Scheduled orders {', '.join(f'#{o.id}' for o in done)}.",
                    )
    open_ids = [o.id for o in shown if o.status in ("draft", "scheduled", "in_progress")]
    if open_ids and session.allowed(Action.CANCEL_ORDER):
        with st.form("cancel_order"):
            order_id = st.selectbox("Order to cancel", open_ids, key="cancel_id")
            reason = st.text_input("Reason (required)", max_chars=MAX_REASON, key="cancel_reason")
            if st.form_submit_button("Cancel order", key="cancel_submit"):
                actions.perform(
                    "cancel the order",
                    lambda: orders.cancel_order(data.ops_db(), who, order_id, reason=reason),
                    lambda done: f"Cancelled order #{done.id}: {md(done.cancel_reason)}.",
                )


def _orders_tab() -> None:
    who = session.actor()
    all_orders = orders.list_orders(data.ops_db(), who)
    if not all_orders:
        st.info("No service orders yet.")
        return
    shown = _filtered(all_orders)
    labels = order_tables.cabinet_labels()
    table = order_tables.orders_frame(shown, labels)
    st.caption(f"{len(shown)} of {len(all_orders)} orders")
    tables.show(table, hide_index=True, width="stretch")
    if shown:
        by_id = {o.id: o for o in shown}
        chosen = st.selectbox(
            "Order details",
            list(by_id),
            key="order_detail",
            format_func=lambda i: f"#{i} · {by_id[i].status}",
        )
        items = order_tables.items_frame(by_id[chosen], labels)
        tables.show(items.drop(columns=["cabinet_id"]), hide_index=True, width="stretch")
        photo_view.order_photos(chosen)
    _manage(shown)


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Visit plan and service orders")
    actions.show_outcome()
    day = ui.data_day()
    st.caption(
        f"The data's last day: {day or 'no sales yet'}. Plans come from the visit planner "
        "(service_plan, service_plan_picks); orders from the operational database."
    )
    plan_tab, orders_tab = st.tabs(["Visit plan", "Service orders"])
    with plan_tab:
        _plan_tab()
    with orders_tab:
        _orders_tab()


main()
