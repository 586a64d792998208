"""The Orders page's forms: a new order with prefilled quantities, delivered quantities to
complete on a driver's behalf or to correct.

Quantities are shown in an editable table (only the quantity column is editable); what the
manager submits goes to the service layer, which checks it again (capacity, the order's slots).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import actions, data, order_tables, session
from dashboards.escape import md
from operations.schema import ORDER_TYPES, PRIORITIES, ServiceOrder
from operations.services import order_desk, orders
from operations.services.orders import ItemSpec

MAX_TEXT = 1000
HISTORY_MACHINE_KEY = "orders_history_machine"  # the Machine page sets it to open a history


def _plan_picks(assets: list[str], day: date) -> dict[tuple[int, str], int]:
    """The visit plan's picks for the machines' routes on ``day`` (empty when there is none)."""
    labels = data.query("cabinet_labels")
    routes = set(labels.loc[labels["asset_number"].isin(assets), "route_id"].dropna())
    picks: dict[tuple[int, str], int] = {}
    for route in sorted(routes):
        frame = data.query("visit_picks", route_id=route, plan_date=day.isoformat())
        for row in frame.itertuples():
            picks[int(row.cabinet_id), str(row.slot)] = int(row.quantity)
    return picks


def new_order() -> None:
    """Choose machines, date, type, priority, note; edit the prefilled quantities; create."""
    who = session.actor()
    labels = order_tables.cabinet_labels()
    assets = sorted(data.query("cabinet_labels")["asset_number"].dropna().unique())
    cols = st.columns(4)
    chosen = cols[0].multiselect("Machines", assets, key="new_machines")
    day = cols[1].date_input("Date", value=date.today(), key="new_date")
    kind = cols[2].selectbox("Type", ORDER_TYPES, key="new_type")
    priority = cols[3].selectbox("Priority", PRIORITIES, key="new_priority")
    note = st.text_input("Note", max_chars=MAX_TEXT, key="new_note")
    if not chosen or not isinstance(day, date):
        st.info("Choose one or more machines (of one route) and a date.")
        return
    cabinets = order_desk.machine_cabinets(data.ops_db(), who, chosen)
    proposals = order_desk.prefill(data.ops_db(), who, cabinets, picks=_plan_picks(chosen, day))
    frame = pd.DataFrame(
        [
            {
                "cabinet_id": p.cabinet_id,
                "machine": order_tables.label(labels, p.cabinet_id).machine,
                "slot": p.slot,
                "capacity": p.capacity,
                "par": p.par_level,
                "from": p.source,
                "quantity": p.quantity,
            }
            for p in proposals
        ],
        columns=["cabinet_id", "machine", "slot", "capacity", "par", "from", "quantity"],
    )
    st.caption(
        "Quantities come from the visit plan of that date where it has the slot, else par "
        "(level unknown). Edit them before creating; zero rows are left out."
    )
    edited = st.data_editor(
        frame,
        key=f"new_quantities:{','.join(chosen)}:{day}",  # edits belong to this proposal only
        hide_index=True,
        disabled=[c for c in frame.columns if c != "quantity"],
        width="stretch",
    )
    if not st.button("Create draft order", type="primary", key="new_submit"):
        return
    loads: dict[int, list[ItemSpec]] = {cabinet: [] for cabinet in cabinets}
    for row in edited.itertuples():
        loads[int(row.cabinet_id)].append(ItemSpec(row.slot, int(row.quantity)))
    actions.perform(
        "create the order",
        lambda: order_desk.create_machine_order(
            data.ops_db(),
            who,
            cabinets=loads,
            planned_date=day,
            order_type=kind,
            priority=priority,
            note=note,
        ),
        lambda made: (
            f"Created draft order #{made.id} ({md(made.order_type)}, {md(made.priority)}) for "
            f"{md(made.driver_username or 'no driver')} on {made.planned_date}."
        ),
    )


def _delivered_editor(order: ServiceOrder, key: str, column: str) -> dict[tuple[int, str], int]:
    labels = order_tables.cabinet_labels()
    frame = order_tables.items_frame(order, labels)
    if column == "delivered":
        frame["delivered"] = frame["delivered"].fillna(0).astype(int)
    else:  # completing: start from what was planned
        frame["delivered"] = frame["load"]
    edited = st.data_editor(
        frame,
        key=key,
        hide_index=True,
        disabled=[c for c in frame.columns if c != "delivered"],
        width="stretch",
    )
    return {(int(r.cabinet_id), str(r.slot)): int(r.delivered) for r in edited.itertuples()}


def on_behalf(shown: list[ServiceOrder]) -> None:
    """Complete a scheduled or in-progress order for its driver; correct a completed one."""
    who = session.actor()
    open_ones = {o.id: o for o in shown if o.status in ("scheduled", "in_progress")}
    st.markdown("**Complete on the driver's behalf**")
    if open_ones:
        order_id = st.selectbox(
            "Order to complete",
            list(open_ones),
            key="behalf_id",
            format_func=lambda i: f"#{i} · {open_ones[i].driver_username} · {open_ones[i].status}",
        )
        delivered = _delivered_editor(open_ones[order_id], f"behalf_items:{order_id}", "load")
        reason = st.text_input("Why (required)", max_chars=MAX_TEXT, key="behalf_reason")
        if st.button("Complete on the driver's behalf", key="behalf_submit"):
            actions.perform(
                "complete the order",
                lambda: order_desk.complete_on_behalf(
                    data.ops_db(), who, order_id, delivered, reason=reason
                ),
                lambda done: (
                    f"Completed order #{done.id} for {md(done.driver_username or 'no driver')}."
                ),
            )
    else:
        st.caption("No scheduled or in-progress order among those shown.")
    completed = {o.id: o for o in shown if o.status == "completed"}
    st.markdown("**Correct a completed order**")
    if not completed:
        st.caption("No completed order among those shown.")
        return
    fix_id = st.selectbox(
        "Order to correct",
        list(completed),
        key="correct_id",
        format_func=lambda i: (
            f"#{i} · {completed[i].driver_username} · {completed[i].planned_date}"
        ),
    )
    fixed = _delivered_editor(completed[fix_id], f"correct_items:{fix_id}", "delivered")
    why = st.text_input("Why (required)", max_chars=MAX_TEXT, key="correct_reason")
    if st.button("Save the correction", key="correct_submit"):
        actions.perform(
            "correct the order",
            lambda: order_desk.correct_order(data.ops_db(), who, fix_id, fixed, reason=why),
            lambda done: f"Corrected order #{done.id} (before and after are in the audit log).",
        )


def reassign(shown: list[ServiceOrder], drivers: list[str], routes: list[str]) -> None:
    """Hand one open order, or every open order of a driver, to another driver or route."""
    who = session.actor()
    open_ones = [o for o in shown if o.status in ("draft", "scheduled", "in_progress")]
    if not open_ones:
        st.caption("No open order among those shown.")
        return
    none = "—"
    with st.form("reassign_all"):
        st.markdown("**All open orders of a driver** (one who left, say)")
        leaving = sorted({o.driver_username or "" for o in open_ones} - {""})
        cols = st.columns(3)
        source = cols[0].selectbox("From driver", leaving, key="all_from")
        to_driver = cols[1].selectbox("To driver", [none, *drivers], key="all_to_driver")
        to_route = cols[2].selectbox(
            "Or to route (its driver)", [none, *routes], key="all_to_route"
        )
        if st.form_submit_button("Hand over all open orders", key="all_submit"):
            actions.perform(
                "hand over the orders",
                lambda: order_desk.reassign_all_open(
                    data.ops_db(),
                    who,
                    from_driver=source,
                    driver=None if to_driver == none else to_driver,
                    route=None if to_route == none else to_route,
                ),
                lambda moved: (
                    f"Handed {len(moved)} open orders of {md(source)} over: "
                    + ", ".join(f"#{o.id} → {md(o.driver_username)}" for o in moved)
                    + "."
                ),
            )
    with st.form("reassign_one"):
        st.markdown("**One order**")
        cols = st.columns(3)
        order_id = cols[0].selectbox("Order", [o.id for o in open_ones], key="one_id")
        driver = cols[1].selectbox("To driver", [none, *drivers], key="one_to_driver")
        route = cols[2].selectbox("Or to route (its driver)", [none, *routes], key="one_to_route")
        if st.form_submit_button("Reassign the order", key="one_submit"):
            actions.perform(
                "reassign the order",
                lambda: orders.reassign_order(
                    data.ops_db(),
                    who,
                    order_id,
                    driver=None if driver == none else driver,
                    route=None if route == none else route,
                ),
                lambda moved: (
                    f"Order #{moved.id} now goes to {md(moved.driver_username)} "
                    f"on route {md(moved.route.code)}."
                ),
            )
