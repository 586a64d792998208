"""Machines: the whole fleet in one table (asset, DEX serial, model, location, route, status,
last read age, revenue of the last 7 days, sold-out slots, CRC failures, telemetry) with
filter, sort, search and CSV; each machine opens the Machine page. Managers set machines up
below the table (``dashboards/machine_setup.py``). Office roles only: drivers see their route's
machines on the Machine page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import actions, data, freshness, machine_setup, session, tables
from dashboards.pages import MANAGERS, OFFICE
from transforms.spreadsheet import frame_csv

STATUSES = ["ok", "stale", "failing", "unassigned"]
SORTS = {
    "Asset": ("asset_number", True),
    "Status (failing first)": ("status_rank", True),
    "Last read age (oldest first)": ("last_read_age_hours", False),
    "Revenue, 7 days (highest first)": ("revenue_7d", False),
    "Sold-out slots (most first)": ("sold_out_slots", False),
    "CRC failures (most first)": ("crc_failures", False),
}
_STATUS_RANK = {"failing": 0, "stale": 1, "unassigned": 2, "ok": 3}


def _filtered(fleet: pd.DataFrame) -> pd.DataFrame:
    cols = st.columns([2, 2, 2, 2])
    search = cols[0].text_input(
        "Search (asset, serial, model, location)", key="machines_search", max_chars=100
    )
    statuses = cols[1].multiselect("Status", STATUSES, key="machines_status")
    routes = sorted(fleet["route_id"].dropna().unique())
    chosen_routes = cols[2].multiselect("Route", routes, key="machines_route")
    sort = cols[3].selectbox("Sort by", list(SORTS), key="machines_sort")
    shown = fleet
    if search.strip():
        needle = search.strip().lower()
        haystack = (
            shown[["asset_number", "machine_serial", "model", "location"]]
            .fillna("")
            .astype(str)
            .agg(" ".join, axis=1)
            .str.lower()
        )
        shown = shown[haystack.str.contains(needle, regex=False)]
    if statuses:
        shown = shown[shown["status"].isin(statuses)]
    if chosen_routes:
        shown = shown[shown["route_id"].isin(chosen_routes)]
    column, ascending = SORTS[sort]
    ranked = shown.assign(status_rank=shown["status"].map(_STATUS_RANK))
    ranked = ranked.sort_values([column, "asset_number"], ascending=[ascending, True])
    return ranked.drop(columns=["status_rank"])


def _open_machine(shown: pd.DataFrame) -> None:
    if shown.empty:
        return
    labels = {
        r.machine_serial: f"{r.asset_number or '(unassigned)'} · {r.machine_serial}"
        for r in shown.itertuples()
    }
    cols = st.columns([3, 1])
    serial = cols[0].selectbox(
        "Open a machine", list(labels), format_func=labels.get, key="machines_open"
    )
    if cols[1].button("Open machine page", key="machines_open_button"):
        st.switch_page("app_pages/machine.py", query_params={"serial": serial})


def main() -> None:
    """Render the page."""
    who = session.require_role(OFFICE)
    st.title("Machines")
    actions.show_outcome()
    freshness.lag_note()
    fleet = data.query("fleet_table")
    shown = _filtered(fleet)
    st.caption(
        f"{len(shown)} of {len(fleet)} machines · revenue over the data's last 7 days · "
        "status: ok, stale (reads overdue), failing (bad reads), unassigned (no location)"
    )
    tables.show(shown, key="machines_table")
    labelled = shown.rename(columns=tables.label)
    st.download_button(
        "Machines (CSV)",
        frame_csv(labelled),
        file_name="machines.csv",
        mime="text/csv",
        key="machines_csv",
    )
    _open_machine(shown)
    if who.role in MANAGERS:
        machine_setup.section()
    else:
        st.caption("Machines are set up by managers and admins.")


main()
