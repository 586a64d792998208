"""Alerts: the live alerts (a driver sees their routes' only), acknowledge and resolve them, the
recently resolved ones, and the signed-in user's email subscriptions; every write goes through
the operations service layer with the signed-in actor."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, session, tables
from dashboards.escape import md
from models.alerts.config import RULES
from operations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from operations.permissions import Action
from operations.schema import DELIVERIES, Alert
from operations.services import alert_subscriptions, alerts

ROLES = frozenset({"admin", "manager", "driver"})
FAILURES = (ValidationError, NotFound, PermissionDenied, Conflict)
RESOLVED_ROWS = 50


def _table(rows: list[Alert]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": a.id,
                "severity": a.severity,
                "rule": a.rule,
                "subject": a.subject_key,
                "route": a.route_code,
                "message": a.message,
                "state": a.state,
                "opened": a.opened_at,
                "last seen": a.last_seen_at,
                "acknowledged by": a.acknowledged_by,
                "acknowledged at": a.acknowledged_at,
                "resolved by": a.resolved_by,
                "resolved at": a.resolved_at,
            }
            for a in rows
        ]
    )


def _handle(live: list[Alert]) -> None:
    labels = {a.id: f"#{a.id} {a.rule}: {a.subject_key} ({a.state})" for a in live}
    with st.form("handle_alert"):
        st.markdown("**Acknowledge or resolve**")
        chosen = st.selectbox(
            "Alert", list(labels), format_func=lambda i: labels[i], key="alert_id"
        )
        left, right = st.columns(2)
        acknowledge = left.form_submit_button("Acknowledge")
        resolve = right.form_submit_button("Resolve")
    if not (acknowledge or resolve):
        return
    step, verb = (
        (alerts.acknowledge, "acknowledged") if acknowledge else (alerts.resolve, "resolved")
    )
    try:
        done = step(data.ops_db(), session.actor(), chosen)
    except FAILURES as error:
        st.error(f"Not {verb}: {md(error)}")
        return
    st.success(f"Alert #{done.id} {verb} by {md(session.actor().username)}.")
    st.rerun()


def _subscriptions() -> None:
    who = session.actor()
    st.subheader("My email subscriptions")
    mine = alert_subscriptions.list_subscriptions(data.ops_db(), who)
    if mine:
        tables.show(
            pd.DataFrame(
                [
                    {
                        "id": s.id,
                        "kind": s.kind,
                        "target": s.target,
                        "delivery": s.delivery,
                        "email": s.email,
                    }
                    for s in mine
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No subscriptions: you receive no alert emails.")
    with st.form("subscribe", clear_on_submit=True):
        st.markdown("**Subscribe** (a rule: all its alerts you may see; a route: all its alerts)")
        kind = st.selectbox("To", ["rule", "route"], key="sub_kind")
        target = st.text_input(
            f"Rule ({', '.join(RULES)}) or route code", key="sub_target", max_chars=64
        )
        delivery = st.selectbox("Delivery", DELIVERIES, key="sub_delivery")
        email = st.text_input("Email address", key="sub_email", max_chars=254)
        submitted = st.form_submit_button("Subscribe")
    if submitted:
        if kind == "rule" and target not in RULES:
            st.error(f"Not subscribed: unknown rule {md(target)}.")
        else:
            try:
                alert_subscriptions.subscribe(
                    data.ops_db(), who, kind=kind, target=target, delivery=delivery, email=email
                )
            except FAILURES as error:
                st.error(f"Not subscribed: {md(error)}")
            else:
                st.success(f"Subscribed to {md(kind)} {md(target)} ({md(delivery)}).")
                st.rerun()
    if mine:
        with st.form("unsubscribe"):
            chosen = st.selectbox(
                "Subscription",
                [s.id for s in mine],
                format_func=lambda i: next(f"{s.kind} {s.target}" for s in mine if s.id == i),
                key="unsub_id",
            )
            if st.form_submit_button("Unsubscribe"):
                try:
                    alert_subscriptions.unsubscribe(data.ops_db(), who, chosen)
                except FAILURES as error:
                    st.error(f"Not unsubscribed: {md(error)}")
                else:
                    st.rerun()


def main() -> None:
    """The page."""
    session.require_role(ROLES)
    who = session.require(Action.READ_ALERTS)
    st.title("Alerts")
    live = alerts.list_alerts(data.ops_db(), who)
    scope = "of your routes " if who.role == "driver" else ""
    st.caption(
        f"{len(live)} live alert(s) {scope}(open or acknowledged); rules and thresholds: "
        "config/alerts.toml (docs/alerts.md)."
    )
    if live:
        tables.show(_table(live), hide_index=True, width="stretch")
        if session.allowed(Action.HANDLE_ALERT):
            _handle(live)
    else:
        st.info("No live alerts.")
    with st.expander("Recently resolved"):
        done = alerts.list_alerts(data.ops_db(), who, states=("resolved",), limit=RESOLVED_ROWS)
        if done:
            tables.show(_table(done), hide_index=True, width="stretch")
        else:
            st.caption("None yet.")
    _subscriptions()


main()
