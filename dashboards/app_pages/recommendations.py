"""Planogram recommendations per cabinet: the proposed changes with their expected effect and
reason (optimiser or AI, which model), accept (new planogram version + changeover order) or
reject with a reason; past decisions."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import actions, data, session, tables, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from operations.permissions import Action
from operations.services.recommendations import (
    Decided,
    RecommendationSpec,
    accept_recommendations,
    list_decisions,
    reject_recommendations,
)

MAX_TEXT = 1000
SHOWN = {
    "slot": "slot",
    "change": "change",
    "current_product": "now",
    "recommended_product": "proposed",
    "capacity_change": "capacity",
    "par_change": "par",
    "current_weekly_units": "units/week now",
    "expected_weekly_units": "units/week expected",
    "expected_change_revenue": "revenue/week change",
    "reason": "reason",
    "origin": "source",
}


def _origin(row: pd.Series) -> str:
    if row["source"] == "ai":
        return f"AI ({row['ai_model'] or 'model?'}, {row['ai_status'] or 'status?'})"
    status = f", AI review: {row['ai_status']}" if row["ai_status"] else ""
    return f"optimiser ({row['model_version'] or 'no version'}{status})"


def _decided_ids(who: object) -> set[str]:
    return {d.recommendation_id for d in list_decisions(data.ops_db(), who, limit=100_000)}


def _cabinet_choice(open_recs: pd.DataFrame) -> tuple[str, int]:
    cabinets = (
        open_recs.groupby(["asset_number", "cabinet"], as_index=False)
        .agg(changes=("slot", "count"), revenue=("expected_change_revenue", "sum"))
        .sort_values(["revenue", "asset_number"], ascending=[False, True])
    )
    keys = [(r.asset_number, int(r.cabinet)) for r in cabinets.itertuples()]
    text = {
        (r.asset_number, int(r.cabinet)): f"{r.asset_number} · cabinet {int(r.cabinet)}: "
        f"{r.changes} changes, {r.revenue:+.2f} revenue/week"
        for r in cabinets.itertuples()
    }
    return st.selectbox("Cabinet", keys, format_func=text.get, key="rec_cabinet")


def _table(recs: pd.DataFrame) -> pd.DataFrame:
    shown = recs.copy()
    shown["capacity_change"] = (
        shown["current_capacity"].astype(str) + " → " + shown["capacity"].astype(str)
    )
    shown["par_change"] = (
        shown["current_par_level"].astype(str) + " → " + shown["par_level"].astype(str)
    )
    shown["current_product"] = shown["current_product"].fillna(shown["current_product_id"])
    shown["recommended_product"] = shown["recommended_product"].fillna(
        shown["recommended_product_id"]
    )
    shown["origin"] = shown.apply(_origin, axis=1)
    return shown[list(SHOWN)].rename(columns=SHOWN)


def _decide(recs: pd.DataFrame, cabinet_id: int) -> None:
    who = session.actor()
    by_slot = {r["slot"]: RecommendationSpec.from_row(r) for r in recs.to_dict("records")}
    with st.form("decide"):
        slots = st.multiselect(
            "Recommendations to decide", list(by_slot), default=list(by_slot), key="rec_slots"
        )
        cols = st.columns(2)
        planned = cols[0].date_input("Changeover date", value=date.today(), key="rec_date")
        note = cols[1].text_input(
            "Note (optional, for acceptance)", max_chars=MAX_TEXT, key="rec_note"
        )
        reason = st.text_area("Reason (required to reject)", max_chars=MAX_TEXT, key="rec_reason")
        cols = st.columns(2)
        accept = cols[0].form_submit_button("Accept selected", type="primary", key="rec_accept")
        reject = cols[1].form_submit_button("Reject selected", key="rec_reject")
    if not (accept or reject):
        return
    if not slots:
        st.error("Choose at least one recommendation. Nothing was changed.")
        return
    chosen = [by_slot[s] for s in slots]
    if accept:
        actions.perform(
            "accept the recommendations",
            lambda: accept_recommendations(
                data.ops_db(), who, cabinet_id, chosen, note=note, planned_date=planned
            ),
            _accepted,
        )
    else:
        actions.perform(
            "reject the recommendations",
            lambda: reject_recommendations(data.ops_db(), who, cabinet_id, chosen, reason=reason),
            lambda done: f"Rejected {len(done.decisions)} recommendation(s).",
        )


def _accepted(done: Decided) -> str:
    version, order = done.planogram_version, done.service_order
    assert version is not None and order is not None
    return (
        f"Accepted {len(done.decisions)} recommendation(s): planogram v{version.version} is "
        f"active; changeover order #{order.id} (route {md(order.route.code)}, driver "
        f"{md(order.driver_username or 'none')}, {order.planned_date}) waits to be scheduled."
    )


def _history() -> None:
    st.subheader("Past decisions")
    decisions = list_decisions(data.ops_db(), session.actor(), limit=500)
    if not decisions:
        st.caption("No recommendation decided yet.")
        return
    frame = pd.DataFrame(
        [
            {
                "decided_at": d.decided_at,
                "by": d.decided_by,
                "machine": d.machine_serial,
                "cabinet": d.cabinet_index,
                "slot": d.slot,
                "change": d.change,
                "product": f"{d.current_product_code or '?'} → {d.recommended_product_code}",
                "decision": d.decision,
                "reason": d.reason,
                "source": f"{d.source} {d.model_version}".strip(),
                "order": d.service_order_id,
            }
            for d in decisions
        ]
    )
    tables.show(frame, hide_index=True, width="stretch")


def main() -> None:
    """Render the page."""
    who = session.require(Action.READ_RECOMMENDATIONS)
    if who.role not in OFFICE:
        st.stop()
    st.title("Planogram recommendations")
    actions.show_outcome()
    recs = data.query("recommendations")
    if recs.empty:
        st.info("No recommendations yet: the planogram optimiser has not run on this data.")
        _history()
        return
    decided = _decided_ids(who)
    open_recs = recs[~recs["recommendation_id"].isin(decided)]
    st.caption(
        f"{len(open_recs)} open of {len(recs)} proposed changes in the newest run; "
        f"{len(recs) - len(open_recs)} already decided."
    )
    if open_recs.empty:
        st.success("Every recommendation of the newest run has been decided.")
    else:
        asset, cabinet = _cabinet_choice(open_recs)
        mine = open_recs[(open_recs["asset_number"] == asset) & (open_recs["cabinet"] == cabinet)]
        disagree = data.query("planogram_vs_dex", machine_serial=mine["machine_serial"].iloc[0])
        ui.planogram_vs_dex_note(disagree[disagree["cabinet_index"] == cabinet])
        cols = st.columns(3)
        cols[0].metric("Changes", len(mine))
        cols[1].metric("Units/week change", f"{mine['expected_change_units'].sum():+.1f}")
        cols[2].metric("Revenue/week change", f"{mine['expected_change_revenue'].sum():+.2f}")
        tables.show(_table(mine), hide_index=True, width="stretch")
        cabinet_id = mine["cabinet_id"].iloc[0]
        if not session.allowed(Action.DECIDE_RECOMMENDATION):
            st.caption(f"Your role ({who.role}) can read recommendations but not decide them.")
        elif pd.isna(cabinet_id):
            st.warning(f"{md(asset)} cabinet {cabinet} is not in the master data: cannot decide.")
        else:
            _decide(mine, int(cabinet_id))
    _history()


main()
