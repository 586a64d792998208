"""The Admin page's account section (admins only): add users, change role or email, reset a
password, unlock, deactivate (handing open orders to another driver) and reactivate, and the
open sessions per user with a revoke button. Everything goes through
``operations.services.users`` with the signed-in actor, which checks and audits it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, session, tables
from dashboards.escape import md
from operations import auth
from operations.errors import NotFound, PermissionDenied, ValidationError
from operations.schema import ROLES, User
from operations.services import users

FAILURES = (ValidationError, NotFound, PermissionDenied)
NOBODY = "(nobody: no open orders)"
DONE_KEY = "cvd_accounts_done"


def _done(message: str, secret: str | None = None) -> None:
    """Rerun so every list shows the change, then say what was done (and show ``secret``, a
    temporary password, once: it is popped from the session state at that next run)."""
    st.session_state[DONE_KEY] = (message, secret)
    st.rerun()


def _show_done() -> None:
    done = st.session_state.pop(DONE_KEY, None)
    if done is None:
        return
    message, secret = done
    st.success(message)
    if secret is not None:
        st.code(secret, language=None)


def _add_user() -> None:
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        username = st.text_input("User name", key="new_username", max_chars=64)
        email = st.text_input("Email (optional)", key="new_email", max_chars=254)
        role = st.selectbox("Role", ROLES, index=ROLES.index("viewer"), key="new_role")
        password = st.text_input(
            f"Password ({auth.MIN_PASSWORD_LENGTH} characters or more, not a common one)",
            type="password",
            key="new_password",
            max_chars=auth.MAX_PASSWORD_LENGTH,
        )
        submitted = st.form_submit_button("Add user")
    if not submitted:
        return
    try:
        users.add_user(
            data.ops_db(),
            session.actor(),
            username=username,
            role=role,
            password=password,
            email=email,
        )
    except FAILURES as error:
        st.error(f"User not added: {md(error)}")
        return
    _done(f"Added {md(username)} as {role}.")


def _change_role(names: list[str]) -> None:
    with st.form("change_role"):
        st.markdown("**Change a role**")
        name = st.selectbox("User", names, key="role_user")
        role = st.selectbox("New role", ROLES, key="role_new")
        submitted = st.form_submit_button("Change role")
    if submitted:
        try:
            users.set_role(data.ops_db(), session.actor(), name or "", role)
        except FAILURES as error:
            st.error(f"Role not changed: {md(error)}")
        else:
            _done(f"{md(name)} is now {role}.")


def _change_email(names: list[str]) -> None:
    with st.form("change_email"):
        st.markdown("**Change an email address** (empty clears it)")
        name = st.selectbox("User", names, key="email_user")
        email = st.text_input("Email", key="email_new", max_chars=254)
        submitted = st.form_submit_button("Save email")
    if submitted:
        try:
            users.set_email(data.ops_db(), session.actor(), name or "", email)
        except FAILURES as error:
            st.error(f"Email not saved: {md(error)}")
        else:
            _done(f"Email of {md(name)} saved.")


def _reset_password(names: list[str]) -> None:
    with st.form("reset_password"):
        st.markdown(
            "**Reset a password** (a temporary one, shown once, that must be changed at the "
            "next sign-in; signs the user out everywhere and lifts their sign-in locks)"
        )
        name = st.selectbox("User", names, key="reset_user")
        submitted = st.form_submit_button("Reset password")
    if not submitted:
        return
    try:
        temporary = users.reset_password(data.ops_db(), session.actor(), name or "")
    except FAILURES as error:
        st.error(f"Password not reset: {md(error)}")
        return
    _done(f"Temporary password for {md(name)} (shown once; hand it over in person):", temporary)


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
        st.error(f"Not unlocked: {md(error)}")
    else:
        _done(f"{md(name)} unlocked.")


def _deactivate(names: list[str], drivers: list[str]) -> None:
    with st.form("deactivate"):
        st.markdown(
            "**Deactivate a user** (signs them out everywhere; their open orders go to the "
            "driver named here)"
        )
        name = st.selectbox("User", names, key="deactivate_user")
        successor = st.selectbox(
            "Hand open orders to", [NOBODY, *drivers], key="deactivate_reassign_to"
        )
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
    reassign_to = None if successor == NOBODY else successor
    try:
        moved = users.deactivate_user(
            data.ops_db(), session.actor(), name or "", reassign_to=reassign_to
        )
    except FAILURES as error:
        st.error(f"Not deactivated: {md(error)}")
        return
    handed = f" Orders {', '.join(map(str, moved))} now with {md(reassign_to)}." if moved else ""
    _done(f"{md(name)} deactivated.{handed}")


def _reactivate(names: list[str]) -> None:
    if not names:
        return
    with st.form("reactivate"):
        st.markdown("**Reactivate a user** (signs in again with their old password)")
        name = st.selectbox("User", names, key="reactivate_user")
        submitted = st.form_submit_button("Reactivate")
    if not submitted:
        return
    try:
        users.reactivate_user(data.ops_db(), session.actor(), name or "")
    except FAILURES as error:
        st.error(f"Not reactivated: {md(error)}")
    else:
        _done(f"{md(name)} reactivated.")


def _sessions() -> None:
    """Open sessions per user, and revoking one."""
    st.subheader("Open sessions")
    found = users.list_sessions(data.ops_db(), session.actor())
    if not found:
        st.caption("No open sessions.")
        return
    frame = pd.DataFrame(
        [
            {
                "session": s.session_id,
                "user name": s.username,
                "started": s.created_at,
                "last seen": s.last_seen_at,
                "expires": s.expires_at,
                "address": s.address,
                "user agent": s.user_agent,
            }
            for s in found
        ]
    )
    tables.show(frame, hide_index=True, width="stretch", key="sessions_table")
    labels = {s.session_id: f"{s.username} · {s.address or 'address unknown'}" for s in found}
    with st.form("revoke_session"):
        st.markdown("**Revoke a session** (that browser is signed out at its next click)")
        chosen = st.selectbox(
            "Session",
            list(labels),
            format_func=lambda sid: f"{sid} ({labels[sid]})",
            key="revoke_session_id",
        )
        submitted = st.form_submit_button("Revoke session")
    if not submitted:
        return
    try:
        whose = users.revoke_session(data.ops_db(), session.actor(), chosen)
    except FAILURES as error:
        st.error(f"Not revoked: {md(error)}")
    else:
        _done(f"Session {md(chosen)} of {md(whose)} revoked.")


def _status(user: User) -> str:
    return "deactivated" if user.deleted_at is not None else "active"


def users_section() -> None:
    """Users and roles, account actions, open sessions."""
    st.subheader("Users and roles")
    _show_done()
    _add_user()
    accounts = users.list_users(data.ops_db(), session.actor(), include_deactivated=True)
    table = pd.DataFrame(
        [
            {
                "username": u.username,
                "role": u.role,
                "email": u.email,
                "status": _status(u),
                "locked_until": u.locked_until,
                "failed_logins": u.failed_logins,
                "must change password": u.must_change_password,
            }
            for u in accounts
        ]
    )
    tables.show(table, hide_index=True, width="stretch", key="users_table")
    active = [u.username for u in accounts if u.deleted_at is None]
    drivers = [u.username for u in accounts if u.deleted_at is None and u.role == "driver"]
    _change_role(active)
    _change_email(active)
    _reset_password(active)
    _unlock_user(active)
    _deactivate(active, drivers)
    _reactivate([u.username for u in accounts if u.deleted_at is not None])
    _sessions()
