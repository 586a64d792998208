"""The driver's count of a cash box, on their order (``dashboards/app_pages/driver.py``): bills
and coins apart and the bag number, per machine of a started order, saved through
``operations.services.cash_collections`` (audited); the office reconciles it on the Cash page."""

from __future__ import annotations

import streamlit as st

from dashboards import actions, data, session
from dashboards.escape import md
from operations.schema import ServiceOrder
from operations.services import cash_collections
from operations.services.visits import Stop


def machines_of(stops: list[Stop]) -> list[str]:
    """The machines (asset number, else DEX serial) of an order's stops, in stop order."""
    return list(dict.fromkeys(stop.machine.split(" · ")[0] for stop in stops))


def cash_form(order: ServiceOrder, stops: list[Stop]) -> None:
    """One count form per machine of a started order (open at once on a cash collection)."""
    machines = machines_of(stops)
    expanded = order.order_type == "cash_collection"
    with st.expander("Cash collected (count the bag before you leave)", expanded=expanded):
        machine = st.selectbox("Machine", machines, key=f"cash_machine_{order.id}")
        with st.form(f"cash_{order.id}", clear_on_submit=True):
            bills = st.text_input("Bills (e.g. 41.00)", key=f"cash_bills_{order.id}")
            coins = st.text_input("Coins (e.g. 13.40)", key=f"cash_coins_{order.id}")
            bag = st.text_input("Bag number", key=f"cash_bag_{order.id}")
            submitted = st.form_submit_button(
                "Save the count", key=f"cash_submit_{order.id}", width="stretch"
            )
        if submitted:
            actions.perform(
                "save the cash count",
                lambda: cash_collections.record_count(
                    data.ops_db(),
                    session.actor(),
                    order_id=order.id,
                    machine=machine,
                    count=cash_collections.counted(bills, coins, bag),
                ),
                lambda c: (
                    f"Cash of {md(machine)} saved: "
                    f"{(c.counted_cents or 0) / 100:.2f} in bag {md(c.bag or '-')}."
                ),
            )
