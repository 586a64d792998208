"""Cash: every collection's expected cash (the machine's counters) against what was counted,
variances flagged by the configured thresholds, variance over time per driver and route,
machines with repeated shortfalls, uncounted collections, a CSV for accounting, and (managers)
reconciliation: accept, investigate with a note, adjust with a reason."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import actions, cash_data, data, session, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from operations.permissions import Action
from operations.services import cash_collections
from transforms.cash_flags import CashThresholds
from transforms.spreadsheet import frame_csv

SHOWN = [
    "collection_id", "collected_at", "asset_number", "machine_serial", "route_code", "driver",
    "bag", "expected_cash", "counted_cash", "variance", "variance_share", "status", "flagged",
    "reconcile_state", "reconcile_note", "counter_basis", "unusable_reason",
]  # fmt: skip
DETAIL = [
    "period_start", "period_end", "cash_sales", "cash_in", "to_tubes", "to_cashbox", "bills_in",
    "change_dispensed", "manually_filled", "manually_dispensed", "tube_level_before",
    "tube_level_after", "cashless_sales", "counted_bills", "counted_coins", "driver_counted_cash",
]  # fmt: skip


def _filtered(frame: pd.DataFrame) -> pd.DataFrame:
    """The collections of the chosen days, routes and drivers (all by default)."""
    days = pd.to_datetime(frame["collected_at"]).dt.date
    first, last = days.min(), days.max()
    cols = st.columns(3)
    period = cols[0].date_input(
        "Collected from / to", value=(first, last), min_value=first, max_value=last,
        key="cash_period",
    )  # fmt: skip
    routes = cols[1].multiselect(
        "Routes", sorted(frame["route_code"].dropna().unique()), key="cash_routes"
    )
    drivers = cols[2].multiselect(
        "Drivers", sorted(frame["driver"].dropna().unique()), key="cash_drivers"
    )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (first, last)
    keep = (days >= start) & (days <= end)
    if routes:
        keep &= frame["route_code"].isin(routes)
    if drivers:
        keep &= frame["driver"].isin(drivers)
    return frame[keep]


def _kpis(frame: pd.DataFrame) -> None:
    counted = frame[frame["status"].isin(["matched", "short", "over"])]
    cols = st.columns(5)
    cols[0].metric("Collections", len(frame))
    cols[1].metric("Expected (reconciled)", ui.money(counted["expected_cash"].sum()))
    cols[2].metric("Variance (reconciled)", ui.money(counted["variance"].sum()))
    cols[3].metric("Flagged", int(frame["flagged"].sum()))
    cols[4].metric("Uncounted", int((frame["status"] == "uncounted").sum()))


def _over_time(frame: pd.DataFrame, who: str, label: str) -> None:
    usable = frame[frame["status"].isin(["matched", "short", "over"]) & frame[who].notna()]
    if ui.empty_note(usable, f"No reconciled collections per {label} yet."):
        return
    weekly = (
        usable.assign(week=pd.to_datetime(usable["collected_at"]).dt.to_period("W").dt.start_time)
        .groupby([who, "week"], as_index=False)["variance"]
        .sum()
    )
    weekly["variance"] = weekly["variance"].astype(float)
    figure = px.line(weekly, x="week", y="variance", color=who, markers=True)
    figure.update_layout(height=320, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(figure, width="stretch", key=f"over_time_{who}")


def _patterns(t: CashThresholds) -> None:
    st.subheader("Patterns of shortfalls")
    st.caption(
        f"Over every collection, whatever the filters above. Flagged: at least {t.min_flags} "
        f"flagged shortfalls making at least {t.flag_share:.0%} of the reconciled collections."
    )
    cols = st.columns(2)
    for col, who, label in ((cols[0], "driver", "Driver"), (cols[1], "route_code", "Route")):
        people = cash_data.load(who, t).rename(columns={"who": label.lower()})
        col.markdown(f"**{label}s**")
        if not people.empty:
            col.dataframe(people, hide_index=True, width="stretch")
    st.subheader("Machines with repeated shortfalls")
    machines = ui.only_visible(cash_data.load("machines", t))
    if not ui.empty_note(machines, f"No machine has {t.repeat_shortfalls} flagged shortfalls."):
        st.dataframe(machines, hide_index=True, width="stretch")


def _reconcile(frame: pd.DataFrame) -> None:
    if not session.allowed(Action.RECONCILE_CASH):
        return
    st.subheader("Reconcile")
    open_ = frame[frame["reconcile_state"].isin(["pending", "investigating"])]
    open_ = open_.sort_values(["flagged", "collected_at"], ascending=[False, False])
    if ui.empty_note(open_, "Every collection is reconciled."):
        return
    labels = {
        int(r.collection_id): f"#{r.collection_id} {r.asset_number or r.machine_serial} "
        f"{r.collected_at:%Y-%m-%d %H:%M} variance {r.variance}"
        + (" (flagged)" if r.flagged else "")
        for r in open_.itertuples()
    }
    with st.form("reconcile"):
        chosen = st.selectbox(
            "Collection", list(labels), format_func=labels.__getitem__, key="reconcile_pick"
        )
        decision = st.radio(
            "Decision", cash_collections.DECISIONS, horizontal=True, key="reconcile_decision"
        )
        note = st.text_input(
            "Note (what to investigate, or why the count is adjusted)", key="reconcile_note"
        )
        adjusted = st.text_input(
            "Adjusted counted total (adjust only)", value="", key="reconcile_total"
        )
        submitted = st.form_submit_button("Save", key="reconcile_submit")
    if submitted:
        actions.perform(
            "reconcile the collection",
            lambda: cash_collections.reconcile(
                data.ops_db(),
                session.actor(),
                chosen,
                decision=decision,
                note=note,
                adjusted_total=adjusted or None,
            ),
            lambda c: f"Collection #{c.id} {md(c.reconcile_state)}.",
        )


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Cash")
    actions.show_outcome()
    t = cash_data.thresholds()
    st.caption(
        "Expected cash in the box = coins to the cash box + bills + coins paid out of the tubes "
        "by hand, between the reads at the machine's previous collection and this one "
        "(docs/metrics.md). A collection is flagged when its variance is at least "
        f"{t.variance_abs:g} currency units and {t.variance_share:.0%} of the expected cash "
        "($CVD_HOME/config/cash.toml)."
    )
    frame = ui.only_visible(cash_data.load("collections", t))
    if ui.empty_note(frame, "No cash collections yet: drivers record them on their orders, "
                     "or import a history with `cvd import collections FILE.csv`."):  # fmt: skip
        return
    frame = _filtered(frame)
    _kpis(frame)
    st.subheader("Collections: expected vs counted")
    only_flagged = st.toggle("Flagged only", value=False)
    shown = frame[frame["flagged"]] if only_flagged else frame
    st.dataframe(shown[SHOWN], hide_index=True, width="stretch")
    st.download_button(
        "Download CSV for accounting",
        frame_csv(frame[SHOWN + DETAIL]).encode(),
        file_name="cash_collections.csv",
        mime="text/csv",
        key="download",
    )
    st.subheader("Variance over time")
    tabs = st.tabs(["Per driver", "Per route"])
    with tabs[0]:
        _over_time(frame, "driver", "driver")
    with tabs[1]:
        _over_time(frame, "route_code", "route")
    _patterns(t)
    st.subheader("Uncounted collections")
    uncounted = frame[frame["status"] == "uncounted"]
    if not ui.empty_note(uncounted, "Every collection has a count."):
        st.dataframe(uncounted[SHOWN], hide_index=True, width="stretch")
    _reconcile(frame)


main()
