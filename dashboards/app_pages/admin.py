"""Admin: sign-in alerts and the audit log (admins and managers); users, roles and sessions
(admins, ``dashboards/accounts.py``) and API tokens (admins, ``dashboards/api_tokens.py``), through
the operations service layer with the signed-in actor."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import accounts, api_tokens, data, session, tables
from dashboards.pages import MANAGERS
from operations import audit
from operations.permissions import Action
from operations.schema import AuditEntry

# Sign-in failures and lockouts, and what admins and users did about accounts' security.
SECURITY_ACTIONS = (
    "lockout",
    "login_failed",
    "unlock",
    "reset_password",
    "revoke_session",
    "password_change_failed",
)
SECURITY_ROWS = 50


def _security_notice(events: list[AuditEntry]) -> None:
    """A warning at the top of the page when sign-ins failed or accounts were locked."""
    lockouts = sum(e.action == "lockout" for e in events)
    failures = sum(e.action == "login_failed" for e in events)
    if failures or lockouts:
        st.warning(
            f"Sign-in alerts: {failures} failed sign-ins and {lockouts} lockouts among the newest "
            f"{SECURITY_ROWS} security events (table at the bottom of this page). An admin "
            "unlocks a user under Users and roles or with `cvd users unlock NAME`."
        )


def _security_table(events: list[AuditEntry]) -> None:
    """The newest failed sign-ins, lockouts, unlocks, resets and revocations, with address and
    user agent."""
    st.subheader("Sign-in alerts")
    if not events:
        st.caption("No security events recorded.")
        return
    frame = pd.DataFrame(
        [
            {
                "at": e.at,
                "event": e.action,
                "user name": e.entity_key,
                "address": e.address,
                "user agent": e.user_agent,
                "details": e.after,
            }
            for e in events
        ]
    )
    tables.show(frame, hide_index=True, width="stretch", key="security_table")


def _audit() -> None:
    st.subheader("Audit log")
    cols = st.columns(4)
    entity = cols[0].text_input("Entity (exact, e.g. user)", key="audit_entity", max_chars=64)
    actor_name = cols[1].text_input("Actor contains", key="audit_actor", max_chars=64)
    action = cols[2].text_input("Action contains", key="audit_action", max_chars=64)
    limit = cols[3].number_input("Newest rows", 10, 5000, 500, step=100, key="audit_limit")
    entries = audit.list_entries(
        data.ops_db(), session.actor(), entity=entity.strip() or None, limit=int(limit)
    )
    frame = pd.DataFrame(
        [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "entity": e.entity,
                "key": e.entity_key,
                "before": e.before,
                "after": e.after,
                "address": e.address,
                "user agent": e.user_agent,
            }
            for e in entries
        ],
        columns=[
            "at",
            "actor",
            "action",
            "entity",
            "key",
            "before",
            "after",
            "address",
            "user agent",
        ],
    )
    if actor_name.strip():
        frame = frame[frame["actor"].str.contains(actor_name.strip(), case=False, regex=False)]
    if action.strip():
        frame = frame[frame["action"].str.contains(action.strip(), case=False, regex=False)]
    st.caption(f"{len(frame)} entries shown.")
    tables.show(frame, hide_index=True, width="stretch", key="audit_table")


def main() -> None:
    """Render the page."""
    session.require_role(MANAGERS)
    st.title("Admin")
    session.require(Action.READ_AUDIT)
    security = audit.list_entries(
        data.ops_db(), session.actor(), actions=SECURITY_ACTIONS, limit=SECURITY_ROWS
    )
    _security_notice(security)
    if session.allowed(Action.READ_USERS):
        accounts.users_section()
    else:
        st.caption("Users and roles are managed by admins.")
    if session.allowed(Action.MANAGE_TOKENS):
        api_tokens.render()
    _audit()
    _security_table(security)


main()
