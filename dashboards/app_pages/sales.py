"""Sales by product, category, machine, location, route and time, with filters, a comparison
with the period before, and CSV download."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, session, tables, ui
from dashboards.pages import OFFICE
from transforms.spreadsheet import frame_csv

GROUPS = {
    "Product": "product",
    "Category": "category",
    "Machine": "machine",
    "Location": "location",
    "Route": "route",
    "Day": "day",
    "Week": "week",
}
FILTERS = (  # (option kind, parameter, label)
    ("product", "products", "Products"),
    ("category", "categories", "Categories"),
    ("machine", "machines", "Machines"),
    ("location", "locations", "Locations"),
    ("route", "routes", "Routes"),
)


def _filters() -> dict[str, list[str]]:
    options = data.query("sales_options")
    chosen: dict[str, list[str]] = {}
    cols = st.columns(len(FILTERS))
    for col, (kind, param, label) in zip(cols, FILTERS, strict=True):
        subset = options[options["kind"] == kind]
        labels = dict(zip(subset["value"], subset["label"], strict=True))
        chosen[param] = col.multiselect(
            label, list(labels), format_func=lambda v, lb=labels: f"{lb[v]} ({v})", key=param
        )
    return chosen


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Sales")
    day = ui.data_day()
    if day is None:
        st.info("No sales yet.")
        return
    top = st.columns([2, 1, 1])
    period = top[0].date_input(
        "Period (machine-clock days)", value=(day - timedelta(days=27), day), key="period"
    )
    group_label = top[1].selectbox("Group by", list(GROUPS), key="group_by")
    compare = top[2].checkbox("Compare with the period before", value=True, key="compare")
    if not isinstance(period, tuple | list) or len(period) != 2:
        st.warning("Pick a start and an end day.")
        return
    start, end = period
    filters = _filters()
    days = (end - start).days + 1
    st.caption(
        f"{start} to {end} ({days} days); the data's last full day is {day}. "
        + (
            f"Compared with the {days} days before ({start - timedelta(days=days)} to "
            f"{start - timedelta(days=1)})."
            if compare
            else ""
        )
    )
    table = data.query(
        "sales_by", group_by=GROUPS[group_label], start=str(start), end=str(end), **filters
    )
    table = table[table["units"].notna()] if not compare else table
    if ui.empty_note(table, "No sales match these filters."):
        return
    totals = table[["units", "revenue", "previous_units", "previous_revenue"]].sum()
    cols = st.columns(2)
    revenue_delta = None
    if compare and totals["previous_revenue"]:
        change = float(totals["revenue"]) / float(totals["previous_revenue"]) - 1
        revenue_delta = f"{change:+.1%} vs period before"
    cols[0].metric("Revenue", ui.money(totals["revenue"]), delta=revenue_delta)
    cols[1].metric(
        "Units",
        f"{int(totals['units']):,}",
        delta=f"{int(totals['units'] - totals['previous_units']):+,} units" if compare else None,
    )
    shown = table.rename(columns={"key": group_label.lower()})
    if not compare:
        shown = shown.drop(columns=["previous_units", "previous_revenue"])
    chart = shown.head(30).melt(
        id_vars=[group_label.lower()],
        value_vars=["revenue", "previous_revenue"] if compare else ["revenue"],
        var_name="period",
        value_name="amount",
    )
    st.plotly_chart(
        px.bar(chart, x=group_label.lower(), y="amount", color="period", barmode="group"),
        width="stretch",
    )
    tables.show(shown, hide_index=True, width="stretch", key="sales_table")
    st.download_button(
        "Download CSV",
        frame_csv(shown).encode(),
        file_name=f"sales_{GROUPS[group_label]}_{start}_{end}.csv",
        mime="text/csv",
        key="download",
    )
    trend = data.query("sales_by", group_by="day", start=str(start), end=str(end), **filters)
    trend = trend[trend["units"].notna()].sort_values("key")
    if not trend.empty and GROUPS[group_label] != "day":
        st.subheader("Per day")
        trend["revenue"] = pd.to_numeric(trend["revenue"])
        st.plotly_chart(px.line(trend, x="key", y="revenue", markers=True), width="stretch")


main()
