"""Fleet overview: sales today and this week, machines needing a visit, sold-out slots,
stale or failing machines, quarantined files, and a map of machines by status."""

from __future__ import annotations

import duckdb
import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, session, tables, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from operations.services import alerts

CASH_VARIANCE_RULE = "cash_variance"


def _kpis(day: object) -> None:
    kpis = data.query("overview_kpis", day=str(day) if day else None)
    if ui.empty_note(kpis, "No sales in the last two weeks of data."):
        return
    for row in kpis.itertuples():
        cols = st.columns(4)
        cols[0].metric(f"Revenue today ({md(row.currency)})", ui.money(row.revenue_today))
        cols[1].metric("Units today", f"{int(row.units_today or 0):,}")
        delta = None
        if row.revenue_prev_week and not pd.isna(row.revenue_prev_week):
            change = float(row.revenue_week) / float(row.revenue_prev_week) - 1
            delta = f"{change:+.1%} vs week before"
        cols[2].metric(
            f"Revenue last 7 days ({md(row.currency)})", ui.money(row.revenue_week), delta=delta
        )
        cols[3].metric(
            "Units last 7 days",
            f"{int(row.units_week or 0):,}",
            delta=f"{int(row.units_week or 0) - int(row.units_prev_week or 0):+,} units",
        )


def _needs_visit(machines: pd.DataFrame) -> None:
    st.subheader("Machines needing a visit")
    try:
        scores = data.query("service_needs")
    except duckdb.CatalogException:
        scores = pd.DataFrame()
    if not scores.empty:
        st.caption("From the service model's scores (service_scores, newest run).")
        tables.show(scores[scores["needs_visit"]], hide_index=True, width="stretch")
        return
    st.caption(
        "No service scores yet: machines with a sold-out slot or a slot expected to sell "
        "out within 2 days (slot_status)."
    )
    needing = machines[(machines["sold_out_slots"] > 0) | (machines["selling_out_2d"] > 0)]
    if ui.empty_note(needing, "None."):
        return
    tables.show(
        needing[
            [
                "asset_number",
                "machine_serial",
                "route_id",
                "location",
                "sold_out_slots",
                "selling_out_2d",
                "last_read_at",
            ]
        ].sort_values("sold_out_slots", ascending=False),
        hide_index=True,
        width="stretch",
    )


def _map(machines: pd.DataFrame) -> None:
    st.subheader("Map")
    placed = machines.dropna(subset=["latitude", "longitude"])
    if ui.empty_note(placed, "No machine has a location with coordinates."):
        return
    # A plain scatter over longitude/latitude: no map tiles or base-map downloads, so it
    # draws the same offline.
    figure = px.scatter(
        placed,
        x="longitude",
        y="latitude",
        color="status",
        color_discrete_map=ui.STATUS_COLOURS,
        hover_name="asset_number",
        hover_data={
            "location": True,
            "route_id": True,
            "sold_out_slots": True,
            "machine_serial": True,
            "latitude": False,
            "longitude": False,
        },
    )
    figure.update_traces(marker={"size": 12})
    figure.update_yaxes(scaleanchor="x", scaleratio=1.3)
    figure.update_layout(height=420, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(figure, width="stretch")


def _cash_alerts() -> None:
    """Live alerts of the cash_variance rule (models/alerts): a machine's latest collection off
    by more than the threshold; details and reconciliation on the Cash page."""
    live = [a for a in alerts.list_alerts(data.ops_db(), session.actor())
            if a.rule == CASH_VARIANCE_RULE]  # fmt: skip
    if not live:
        return
    st.subheader("Cash variances")
    st.warning(
        f"{len(live)} machine(s) with a cash collection off past the threshold: see the Cash page."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "machine": a.subject_key,
                    "route": a.route_code,
                    "message": a.message,
                    "since": a.opened_at,
                    "state": a.state,
                }
                for a in live
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Fleet overview")
    day = ui.data_day()
    st.caption(
        f'"Today" is the data\'s last day: {day or "no sales yet"} (machine clocks); '
        "the week is the 7 days ending then, compared with the 7 days before."
    )
    _kpis(day)
    machines = data.query("fleet_machines")
    quarantined = data.query("quarantine_summary")
    cols = st.columns(4)
    cols[0].metric("Machines", len(machines))
    cols[1].metric("Sold-out slots", int(machines["sold_out_slots"].sum()))
    cols[2].metric(
        "Stale or failing machines", int(machines["status"].isin(["stale", "failing"]).sum())
    )
    cols[3].metric("Quarantined files", int(quarantined["files"].iloc[0]))
    _cash_alerts()
    _needs_visit(machines)
    st.subheader("Stale or failing machines")
    bad = machines[machines["status"] != "ok"]
    if not ui.empty_note(bad, "Every machine reports on time with good data."):
        tables.show(
            bad[ui.HEALTH_COLUMNS],
            hide_index=True,
            width="stretch",
        )
    _map(machines)


main()
