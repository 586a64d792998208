"""Machine: identity, location and route; each cabinet's slot grid; sales trend; stock-outs;
DEX reads with integrity verdicts and events; planogram versions. Drivers see their routes'
machines only."""

from __future__ import annotations

import re

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import data, service_history, session, tables, ui
from dashboards.escape import md
from dashboards.order_forms import HISTORY_MACHINE_KEY
from dashboards.pages import ALL_ROLES, MANAGERS

COLOUR_BY = {"Days until sold out": "days_until_sold_out", "Units sold (28 days)": "units_sold"}
_SLOT = re.compile(r"^([A-Z])(\d+)$")


def _pick_machine() -> str | None:
    machines = ui.only_visible(data.query("machine_list"))
    if machines.empty:
        st.info("No machines to show for your account.")
        return None
    labels = {
        row.machine_serial: f"{row.asset_number or '(unassigned)'} · {row.machine_serial} · "
        f"{row.location or 'no location'}"
        for row in machines.itertuples()
    }
    wanted = st.query_params.get("serial")
    serials = list(labels)
    index = serials.index(wanted) if wanted in labels else 0
    return st.selectbox("Machine", serials, index=index, format_func=labels.get, key="machine")


def _identity(serial: str) -> None:
    frame = data.query("machine_identity", machine_serial=serial)
    if ui.empty_note(frame, "No health record for this machine."):
        return
    m = frame.iloc[0]
    cols = st.columns(4)
    # a metric's value is shown as plain text (only its label is Markdown)
    cols[0].metric("Asset", m["asset_number"] or "–")
    cols[1].metric("Status", m["status"])
    cols[2].metric("Route", f"{m['route_id'] or '–'} ({m['driver'] or 'no driver'})")
    cols[3].metric("Last read age (h)", f"{m['last_read_age_hours']:.1f}")
    managing = m["asset_number"] and session.actor().role in MANAGERS
    if managing and st.button("Order history", key="machine_order_history"):
        st.session_state[HISTORY_MACHINE_KEY] = m["asset_number"]
        st.switch_page("app_pages/orders.py")
    st.markdown(
        f"**{md(m['model'] or 'unknown model')}** ({md(m['device_type'] or '–')}), serial "
        f"{md(serial)} at **{md(m['location'] or 'no location')}**, {md(m['address'])}. "
        f"Telemetry: {'yes' if m['telemetry'] else 'no'}; reads {m['reads_received']} of "
        f"{m['reads_expected']} expected; CRC failures {m['crc_failures']}; clock problems "
        f"{m['clock_problems']}; power outages {m['power_outages']}."
    )


def _grid_figure(slots: pd.DataFrame, metric: str) -> go.Figure:
    rows = int(slots["rows"].dropna().max()) if slots["rows"].notna().any() else 0
    cols = int(slots["columns"].dropna().max()) if slots["columns"].notna().any() else 0
    parsed = [_SLOT.match(str(s)) for s in slots["slot"]]
    rows = max([rows] + [ord(p[1]) - 64 for p in parsed if p])
    cols = max([cols] + [int(p[2]) for p in parsed if p])
    z: list[list[float | None]] = [[None] * cols for _ in range(rows)]
    text = [[""] * cols for _ in range(rows)]
    for match, row in zip(parsed, slots.itertuples(), strict=True):
        if match is None:
            continue
        r, c = ord(match[1]) - 65, int(match[2]) - 1
        value = getattr(row, metric)
        z[r][c] = None if pd.isna(value) else float(value)
        text[r][c] = f"{row.slot}<br>{(row.product_name or row.product_id or '')[:14]}"
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(i + 1) for i in range(cols)],
            y=[chr(65 + i) for i in range(rows)],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{text}<br>%{z}<extra></extra>",
            colorscale="RdYlGn",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=70 * rows + 60, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    return figure


def _cabinets(serial: str) -> None:
    st.subheader("Cabinets")
    label = st.radio("Colour slots by", list(COLOUR_BY), horizontal=True, key="colour_by")
    observed = data.query("machine_observed_planogram", machine_serial=serial)
    if not observed.empty:
        _observed(observed)
        return
    ui.planogram_vs_dex_note(data.query("planogram_vs_dex", machine_serial=serial))
    slots = data.query("machine_slots", machine_serial=serial)
    if ui.empty_note(slots, "No active planogram for this machine."):
        return
    for cabinet, group in slots.groupby("cabinet_index"):
        kind = group["cabinet_type"].dropna()
        st.markdown(f"**Cabinet {md(cabinet)}** {md(kind.iloc[0] if len(kind) else '')}")
        st.plotly_chart(_grid_figure(group, COLOUR_BY[label]), width="stretch")
    with st.expander("Slots as a table"):
        tables.show(slots.drop(columns=["rows", "columns"]), hide_index=True, width="stretch")


def _observed(planogram: pd.DataFrame) -> None:
    """A machine known only from DEX: its planogram as read off its newest DEX read."""
    st.info(
        f"Planogram observed from DEX (read at {planogram['observed_at'].max()}): this machine "
        "has no master data yet. Slots are its DEX selections, grouped in one cabinet per "
        "product category; capacity and par level are what the machine reports (or the "
        "defaults of docs/warehouse.md). Import its master data to replace it."
    )
    st.dataframe(planogram.drop(columns=["observed_at"]), hide_index=True, width="stretch")


def _history(serial: str) -> None:
    sales = data.query("machine_sales_daily", machine_serial=serial)
    st.subheader("Sales trend")
    if not ui.empty_note(sales, "No sales yet."):
        st.plotly_chart(
            px.line(sales, x="sales_date", y="revenue", color="currency", markers=True),
            width="stretch",
        )
    st.subheader("Stock-out history")
    stockouts = data.query("machine_stockouts", machine_serial=serial)
    if not ui.empty_note(stockouts, "No sold-out episodes."):
        tables.show(stockouts, hide_index=True, width="stretch")
    st.subheader("DEX reads")
    reads = data.query("machine_reads", machine_serial=serial)
    if not ui.empty_note(reads, "No usable reads."):
        bad = reads["clock_warning"].notna() | (reads["crc_verified"] == False)  # noqa: E712
        st.caption(f"{len(reads)} reads; {int(bad.sum())} with a clock warning or failed CRC.")
        tables.show(reads, hide_index=True, width="stretch")
    events = data.query("machine_events", machine_serial=serial)
    with st.expander(f"Events ({len(events)})"):
        tables.show(events, hide_index=True, width="stretch")
    st.subheader("Planogram versions")
    versions = data.query("machine_planograms", machine_serial=serial)
    if not ui.empty_note(versions, "No planogram recorded."):
        tables.show(versions, hide_index=True, width="stretch")


def main() -> None:
    """Render the page."""
    session.require_role(ALL_ROLES)
    st.title("Machine")
    serial = _pick_machine()
    if serial is None:
        return
    _identity(serial)
    _cabinets(serial)
    _history(serial)
    identity = data.query("machine_identity", machine_serial=serial)
    asset = identity["asset_number"].iloc[0] if len(identity) else None
    service_history.section(serial, None if pd.isna(asset) else str(asset))


main()
