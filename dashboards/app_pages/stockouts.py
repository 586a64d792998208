"""Stock-outs: what is sold out now and for how long, estimated lost sales, the worst slots and
products."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards import data, session, tables, ui
from dashboards.pages import OFFICE


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Stock-outs")
    now = data.query("stockouts_now")
    cols = st.columns(3)
    cols[0].metric("Slots sold out now", len(now))
    cols[1].metric("Est. lost units so far", f"{now['est_lost_units'].sum():,.0f}")
    cols[2].metric("Est. lost revenue so far", ui.money(now["est_lost_revenue"].sum()))
    st.caption(
        "Lost sales are estimates: the slot's sales rate while in stock × the hours sold out "
        "(to the machine's last read); revenue at the active planogram's price."
    )
    st.subheader("Sold out now")
    if not ui.empty_note(now, "Nothing is sold out."):
        tables.show(now, hide_index=True, width="stretch")
    day = ui.data_day()
    days = st.slider("Worst slots over the last days", 7, 90, 28, key="days")
    st.subheader(f"Worst slots, {days} days up to {day or 'the last episode'}")
    worst = data.query("stockouts_worst_slots", day=str(day) if day else None, days=days)
    if not ui.empty_note(worst, "No sold-out episodes in that period."):
        tables.show(worst, hide_index=True, width="stretch")
    st.subheader("Worst products (whole history)")
    products = data.query("stockouts_worst_products")
    if not ui.empty_note(products, "No sold-out episodes yet."):
        st.plotly_chart(
            px.bar(products, x="product_name", y="est_lost_units", hover_data=["lost_share"]),
            width="stretch",
        )
        tables.show(products, hide_index=True, width="stretch")


main()
