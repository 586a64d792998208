"""Planogram recommendations per cabinet: the proposed changes with their expected effect and
reason (optimiser or AI, which model), accept (new planogram version + changeover order) or
reject with a reason; apart from them, the slots whose planogram only has to record what the
machine holds (change ``record``: accepted without a changeover order); past decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import actions, data, session, tables, ui
from dashboards.escape import md
from dashboards.pages import OFFICE
from operations.permissions import Action
from operations.services.recommendations import (
    RECORDED,
    Decided,
    RecommendationSpec,
    accept_recommendations,
    list_decisions,
    reject_recommendations,
)
from orchestration.settings import load_outcome_weeks

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
    "gain_interval": "swap gain/week (80%)",
    "swap_cost": "swap cost",
    "net_gain": "net gain after cost",
    "trial_label": "trial",
    "visit": "on visit",
    "reason": "reason",
    "origin": "source",
}
RECORD_TITLE = "Record what the machine holds"
RECORD_SHOWN = {
    "slot": "slot",
    "selection": "selection",
    "current_product": "planogram has",
    "recommended_product": "machine holds (DEX)",
    "capacity_change": "capacity",
    "par_change": "par",
    "current_weekly_units": "units/week",
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
        open_recs.groupby(["machine", "cabinet", "planogram"], as_index=False)
        .agg(
            changes=("change", lambda c: int((~c.isin(RECORDED)).sum())),
            records=("change", lambda c: int(c.isin(RECORDED).sum())),
            revenue=("expected_change_revenue", "sum"),
        )
        .sort_values(["revenue", "machine"], ascending=[False, True])
    )
    keys = [(r.machine, int(r.cabinet)) for r in cabinets.itertuples()]
    text = {
        (r.machine, int(r.cabinet)): f"{r.machine} · cabinet {int(r.cabinet)}"
        f"{' (observed planogram)' if r.planogram == 'observed' else ''}: "
        f"{r.changes} changes, {r.revenue:+.2f} revenue/week"
        f"{f', {r.records} to record' if r.records else ''}"
        for r in cabinets.itertuples()
    }
    return st.selectbox("Cabinet", keys, format_func=text.get, key="rec_cabinet")


def _table(recs: pd.DataFrame, columns: dict[str, str] = SHOWN) -> pd.DataFrame:
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
    shown["gain_interval"] = shown.apply(_gain_interval, axis=1)
    shown["trial_label"] = shown["trial"].map(
        lambda t: "trial: never carried here" if t is True else ""
    )
    shown["visit"] = shown.apply(_visit, axis=1)
    return shown[list(columns)].rename(columns=columns)


def _gain_interval(row: pd.Series) -> str:
    """The swap's expected weekly gain with its 80% interval ('' where no product swaps)."""
    if pd.isna(row["weekly_gain"]):
        return ""
    return (
        f"{row['weekly_gain']:+.2f} ({row['weekly_gain_low']:+.2f} to "
        f"{row['weekly_gain_high']:+.2f})"
    )


def _visit(row: pd.Series) -> str:
    """The visit the change rides on, and where that date comes from."""
    if pd.isna(row["visit_date"]):
        return "no visit known"
    return f"{pd.Timestamp(row['visit_date']).date()} ({row['visit_source']})"


def _visit_day(recs: pd.DataFrame) -> date:
    """The visit the cabinet's changes ride on (the earliest not in the past), else today."""
    days = [pd.Timestamp(v).date() for v in recs["visit_date"].dropna()]
    future = [d for d in days if d >= date.today()]
    return min(future) if future else date.today()


def _decide(recs: pd.DataFrame, cabinet_id: int, *, record: bool = False) -> None:
    """The accept / reject form of ``recs``; ``record``: the slots to record (widget keys
    ``rec_record_*``, no changeover date: accepting them makes no order)."""
    who = session.actor()
    key = "rec_record" if record else "rec"
    by_slot = {r["slot"]: RecommendationSpec.from_row(r) for r in recs.to_dict("records")}
    with st.form(f"decide_{key}"):
        slots = st.multiselect(
            "Selections to record" if record else "Recommendations to decide",
            list(by_slot),
            default=list(by_slot),
            key=f"{key}_slots",
        )
        cols = st.columns(2)
        planned = (
            None
            if record
            else cols[0].date_input(
                "Changeover date (the machine's next visit)",
                value=_visit_day(recs),
                key="rec_date",
            )
        )
        note = cols[1].text_input(
            "Note (optional, for acceptance)", max_chars=MAX_TEXT, key=f"{key}_note"
        )
        reason = st.text_area(
            "Reason (required to reject)", max_chars=MAX_TEXT, key=f"{key}_reason"
        )
        cols = st.columns(2)
        accept = cols[0].form_submit_button(
            "Record selected in the planogram" if record else "Accept selected",
            type="primary",
            key=f"{key}_accept",
        )
        reject = cols[1].form_submit_button("Reject selected", key=f"{key}_reject")
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
    assert version is not None
    if order is None:  # records only: the machine holds the products already
        return (
            f"Recorded {len(done.decisions)} selection(s) as the machine holds them: planogram "
            f"v{version.version} is active; no changeover order (no visit needed)."
        )
    return (
        f"Accepted {len(done.decisions)} recommendation(s): planogram v{version.version} is "
        f"active; changeover order #{order.id} (route {md(order.route.code)}, driver "
        f"{md(order.driver_username or 'none')}, {order.planned_date}) waits to be scheduled."
    )


OUTCOME_COLUMNS = {
    "asset_number": "machine",
    "cabinet": "cabinet",
    "slot": "slot",
    "recommended_product": "product",
    "trial": "trial",
    "changed_at": "changed (read)",
    "weeks_observed": "weeks since",
    "promised_weekly_units": "promised units/week",
    "realised_weekly_units": "realised units/week",
    "promised_weekly_revenue": "promised revenue/week",
    "realised_weekly_revenue": "realised revenue/week",
    "gain_interval": "promised gain/week (80%)",
    "realised_change_revenue": "realised change/week",
    "within_interval": "inside interval",
}


def _outcomes() -> None:
    """Accepted changes with enough weeks behind them: realised against promised."""
    weeks = load_outcome_weeks()
    st.subheader("Did it work? Realised against promised")
    outcomes = data.query("recommendation_outcomes", min_weeks=weeks)
    if ui.empty_note(
        outcomes,
        f"No accepted change has {weeks} weeks of sales behind it yet (CVD_OUTCOME_WEEKS).",
    ):
        return
    shown = outcomes.copy()
    shown["recommended_product"] = shown["recommended_product"].fillna(
        shown["recommended_product_id"]
    )
    shown["weekly_gain"] = shown["promised_weekly_gain"]
    shown["gain_interval"] = shown.apply(_gain_interval, axis=1)
    st.dataframe(
        shown[list(OUTCOME_COLUMNS)].rename(columns=OUTCOME_COLUMNS),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Realised figures add up the read intervals after the first read that reports the new "
        "product; the change is the slot's weekly revenue after minus before (the slot alone: "
        "the promise counts the whole cabinet's substitution)."
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
        mine = open_recs[(open_recs["machine"] == asset) & (open_recs["cabinet"] == cabinet)]
        observed = bool((mine["planogram"] == "observed").any())
        if observed:
            st.info(
                "Planogram observed: this machine is known only from DEX, so its slots, prices, "
                "capacities and par levels are read off its newest DEX read, one cabinet per "
                "product category (docs/planogram.md). Import its master data to decide."
            )
        disagree = data.query("planogram_vs_dex", machine_serial=mine["machine_serial"].iloc[0])
        ui.planogram_vs_dex_note(disagree[disagree["cabinet_index"] == cabinet])
        cabinet_id = mine["cabinet_id"].iloc[0]
        recorded = mine["change"].isin(RECORDED)
        records, mine = mine[recorded], mine[~recorded]
        decide = _can_decide(who.role, asset, cabinet, cabinet_id, observed)
        if mine.empty:
            st.caption("No change to make at the machine in this cabinet.")
        else:
            _changes(mine)
            if decide is not None:
                _decide(mine, decide)
        if not records.empty:
            _records(records, decide)
    _outcomes()
    _history()


def _changes(mine: pd.DataFrame) -> None:
    """The cabinet's changes at the machine (swap, resize, par): figures and table."""
    cols = st.columns(5)
    cols[0].metric("Changes", len(mine))
    cols[1].metric("Units/week change", f"{mine['expected_change_units'].sum():+.1f}")
    cols[2].metric("Revenue/week change", f"{mine['expected_change_revenue'].sum():+.2f}")
    cols[3].metric("Swap cost", f"{mine['swap_cost'].fillna(0).sum():.2f}")
    horizon = mine["horizon_weeks"].dropna()
    cols[4].metric(
        f"Net gain after cost ({horizon.iloc[0]:g} weeks)" if len(horizon) else "Net gain",
        f"{mine['net_gain'].fillna(0).sum():+.2f}",
    )
    tables.show(_table(mine), hide_index=True, width="stretch")
    st.caption(
        "A product swap is proposed only when its expected gain over the horizon beats its "
        "cost (the driver's minutes and fresh stock taken out, written off); the changes "
        "ride on the machine's next planned visit. A trial puts in a product this machine "
        "never carried; its demand is borrowed, so its interval is wide."
    )


def _can_decide(role: str, asset: str, cabinet: int, cabinet_id: Any, observed: bool) -> int | None:
    """The operational cabinet id when the signed-in user may decide here, else None (and
    why, shown)."""
    if not session.allowed(Action.DECIDE_RECOMMENDATION):
        st.caption(f"Your role ({role}) can read recommendations but not decide them.")
    elif observed:
        st.caption(f"{md(asset)}: no master data yet, so nothing to accept or reject.")
    elif pd.isna(cabinet_id):
        st.warning(f"{md(asset)} cabinet {cabinet} is not in the master data: cannot decide.")
    else:
        return int(cabinet_id)
    return None


def _records(records: pd.DataFrame, cabinet_id: int | None) -> None:
    """The slots whose planogram lags the machine and the proposal keeps what it holds: no swap,
    no cost, no visit; accepting records the product in a new planogram version."""
    st.subheader(f"{RECORD_TITLE} ({len(records)})")
    st.caption(
        "DEX reports another product in these selections than the planogram (a driver's swap "
        "not entered yet), and keeping it is the best plan found: nobody has to go to the "
        "machine, the planogram only has to record what it holds. Accepting makes a new "
        "planogram version, without a changeover order."
    )
    tables.show(_table(records, RECORD_SHOWN), hide_index=True, width="stretch")
    if cabinet_id is not None:
        _decide(records, cabinet_id, record=True)


main()
