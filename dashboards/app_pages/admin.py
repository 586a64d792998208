"""Admin: sign-in alerts and the audit log (admins and managers), users and roles and API tokens
(admins),
through the operations service layer with the signed-in actor."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import api_tokens, data, session
from dashboards.pages import MANAGERS
from operations import audit
from operations.errors import NotFound, PermissionDenied, ValidationError
from operations.permissions import Action
from operations.schema import ROLES, AuditEntry
from operations.services import users

FAILURES = (ValidationError, NotFound, PermissionDenied)
SECURITY_ACTIONS = ("lockout", "login_failed", "unlock")
SECURITY_ROWS = 50


def _add_user() -> None:
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        username = st.text_input("User name", key="new_username", max_chars=64)
        role = st.selectbox("Role", ROLES, index=ROLES.index("viewer"), key="new_role")
        password = st.text_input(
            "Password (10 characters or more)", type="password", key="new_password", max_chars=1024
        )
        submitted = st.form_submit_button("Add user")
    if not submitted:
        return
    try:
        users.add_user(
            data.ops_db(), session.actor(), username=username, role=role, password=password
        )
    except FAILURES as error:
        st.error(f"User not added: {error}")
        return
    st.success(f"Added {username} as {role}.")


def _change_user(names: list[str]) -> None:
    with st.form("change_role"):
        st.markdown("**Change a role**")
        name = st.selectbox("User", names, key="role_user")
        role = st.selectbox("New role", ROLES, key="role_new")
        submitted = st.form_submit_button("Change role")
    if submitted:
        try:
            users.set_role(data.ops_db(), session.actor(), name or "", role)
        except FAILURES as error:
            st.error(f"Role not changed: {error}")
        else:
            st.success(f"{name} is now {role}.")
    with st.form("deactivate"):
        st.markdown("**Deactivate a user** (signs them out everywhere)")
        name = st.selectbox("User", names, key="deactivate_user")
        confirm = st.checkbox("Yes, deactivate this account", key="deactivate_confirm")
        submitted = st.form_submit_button("Deactivate")
    if not submitted:
        return
    if not confirm:
        st.error("Tick the confirmation to deactivate.")
        return
    if name == session.actor().username:
        st.error("You cannot deactivate your own account.")
        return
    try:
        users.deactivate_user(data.ops_db(), session.actor(), name or "")
    except FAILURES as error:
        st.error(f"Not deactivated: {error}")
    else:
        st.success(f"{name} deactivated.")


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
    """The newest failed sign-ins, lockouts and unlocks, with address and user agent."""
    st.subheader("Sign-in alerts")
    if not events:
        st.caption("No failed sign-ins recorded.")
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
    st.dataframe(frame, hide_index=True, width="stretch", key="security_table")


def _unlock_user(names: list[str]) -> None:
    with st.form("unlock"):
        st.markdown("**Unlock a user** (lifts the account's and every address's sign-in lock)")
        name = st.selectbox("User", names, key="unlock_user")
        submitted = st.form_submit_button("Unlock")
    if not submitted:
        return
    try:
        users.unlock_user(data.ops_db(), session.actor(), name or "")
    except FAILURES as error:
        st.error(f"Not unlocked: {error}")
    else:
        st.success(f"{name} unlocked.")


def _users() -> None:
    st.subheader("Users and roles")
    who = session.actor()
    _add_user()
    accounts = users.list_users(data.ops_db(), who)
    table = pd.DataFrame(
        [
            {
                "username": u.username,
                "role": u.role,
                "locked_until": u.locked_until,
                "failed_logins": u.failed_logins,
            }
            for u in accounts
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch", key="users_table")
    _change_user([u.username for u in accounts])
    _unlock_user([u.username for u in accounts])


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
    st.dataframe(frame, hide_index=True, width="stretch", key="audit_table")


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
        _users()
    else:
        st.caption("Users and roles are managed by admins.")
    if session.allowed(Action.MANAGE_TOKENS):
        api_tokens.render()
    _audit()
    _security_table(security)


main()
