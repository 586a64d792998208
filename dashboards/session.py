"""Sign-in, the signed-in actor on every rerun, sign-out, idle timeout, permission checks.

The session token returned by ``operations.auth.authenticate`` is the only thing kept in
``st.session_state``; the :class:`~operations.permissions.Actor` is rebuilt from it with
``operations.auth.user_for_session`` on every rerun, so an expired (12 h), revoked or
deactivated session ends at the next click. A session idle for :data:`IDLE_TIMEOUT` is signed
out too (and audited as such). Each rerun tells the audit log the client's address and user
agent, where Streamlit knows them (``st.context``). Menus follow the role, and :func:`require`
stops a page whose role lacks an action; the operations service layer re-checks every write
regardless.

A user signed in with a temporary password (an admin's reset) sees only the change-password
page until they pick a new one (:func:`change_password_page`; the service layer refuses
everything else for such a session too). Everyone reaches the same page from the menu.
"""

from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from dashboards import data
from operations import audit, auth
from operations.errors import AuthenticationError, PermissionDenied, ValidationError
from operations.permissions import MATRIX, Action, Actor

TOKEN_KEY = "cvd_token"  # noqa: S105 - a session-state key, not a secret
LAST_SEEN_KEY = "cvd_last_seen"
ACTOR_KEY = "cvd_actor"
NOTICE_KEY = "cvd_notice"
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_USERNAME = 64
MAX_PASSWORD = auth.MAX_PASSWORD_LENGTH


def _forget(notice: str | None = None) -> None:
    for key in (TOKEN_KEY, LAST_SEEN_KEY, ACTOR_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def client() -> tuple[str | None, str | None]:
    """The client's address and user agent as Streamlit reports them (None where unknown)."""
    address = st.context.ip_address
    user_agent = st.context.headers.get("User-Agent")
    # Outside a real browser session (e.g. Streamlit's AppTest) these may be placeholders.
    return (
        address if isinstance(address, str) else None,
        user_agent if isinstance(user_agent, str) else None,
    )


def current_actor() -> Actor | None:
    """The signed-in user, re-validated now; None (with a notice) if signed out or expired."""
    audit.set_origin(*client())
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    last_seen = st.session_state.get(LAST_SEEN_KEY, time.time())
    if time.time() - last_seen > IDLE_TIMEOUT.total_seconds():
        auth.logout(data.ops_db(), token, reason="idle")
        _forget(f"Signed out after {int(IDLE_TIMEOUT.total_seconds() // 60)} minutes idle.")
        return None
    try:
        actor = auth.user_for_session(data.ops_db(), token)
    except AuthenticationError as error:
        _forget(f"Please sign in again ({error}).")
        return None
    st.session_state[LAST_SEEN_KEY] = time.time()
    st.session_state[ACTOR_KEY] = actor
    return actor


def sign_in_form() -> None:
    """The sign-in form; on success stores the token and reruns."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    with st.form("sign_in"):
        st.subheader("Sign in to CVD")
        username = st.text_input("User name", key="sign_in_user", max_chars=MAX_USERNAME)
        password = st.text_input(
            "Password", type="password", key="sign_in_password", max_chars=MAX_PASSWORD
        )
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    username = (username or "").strip()
    if not username or not password:
        st.error("Enter your user name and password.")
        return
    if len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        st.error("Wrong user name or password.")
        return
    address, user_agent = client()
    try:
        token = auth.authenticate(
            data.ops_db(), username, password, address=address, user_agent=user_agent
        )
    except AuthenticationError as error:
        st.error(f"Sign-in failed: {error}.")
        st.caption(
            f"After {auth.MAX_FAILED_LOGINS} failed attempts, sign-in from this address pauses "
            f"for {int(auth.LOCKOUT.total_seconds() // 60)} minutes; an admin can unlock it."
        )
        return
    st.session_state[TOKEN_KEY] = token
    st.session_state[LAST_SEEN_KEY] = time.time()
    st.rerun()


def sign_out() -> None:
    """Revoke the session and forget it."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        auth.logout(data.ops_db(), token, reason="sign_out")
    _forget("Signed out.")


def actor() -> Actor:
    """The actor validated by ``app.py`` on this rerun (pages call this)."""
    found = st.session_state.get(ACTOR_KEY)
    if found is None:  # a page run without the app's gate
        st.error("Not signed in.")
        st.stop()
    return found


def allowed(action: Action, who: Actor | None = None) -> bool:
    """Whether the signed-in role may take ``action`` (for showing or hiding controls)."""
    who = who or actor()
    return action in MATRIX.get(who.role, {})


def require(action: Action) -> Actor:
    """The actor, or stop the page with a clear message if the role lacks ``action``."""
    who = actor()
    if not allowed(action, who):
        st.error(f"Your role ({who.role}) may not do this: {action.value}.")
        st.stop()
    return who


def require_role(roles: frozenset[str]) -> Actor:
    """The actor, or stop the page if the role is not one of ``roles`` (page-level gate)."""
    who = actor()
    if who.role not in roles:
        st.error(f"This page is not available to the {who.role} role.")
        st.stop()
    return who


def own_machines(who: Actor | None = None) -> set[str] | None:
    """DEX serials a driver may see (their routes' machines); None means all machines."""
    who = who or actor()
    if who.role != "driver":
        return None
    frame = data.query("driver_machines", driver=who.username)
    return set(frame["machine_serial"])


def change_password_page() -> None:
    """Change one's own password: the current one, the new one twice. On success the other
    sessions end and, after a reset, the rest of the app opens."""
    who = actor()
    st.title("Change password")
    if who.must_change_password:
        st.warning("Your password was reset by an admin. Choose a new one to continue.")
    st.caption(
        f"At least {auth.MIN_PASSWORD_LENGTH} characters, not a common password and not your "
        "user name; any characters. Changing it signs you out everywhere else."
    )
    with st.form("change_password", clear_on_submit=True):
        fields = {
            key: st.text_input(label, type="password", key=key, max_chars=MAX_PASSWORD)
            for key, label in (
                ("current_password", "Current password"),
                ("new_password_1", "New password"),
                ("new_password_2", "New password again"),
            )
        }
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return
    if fields["new_password_1"] != fields["new_password_2"]:
        st.error("The new passwords differ.")
        return
    try:
        auth.change_password(
            data.ops_db(),
            who,
            current=fields["current_password"],
            new=fields["new_password_1"],
            keep_token=st.session_state.get(TOKEN_KEY),
        )
    except (ValidationError, PermissionDenied, AuthenticationError) as error:
        reason = error.problem if isinstance(error, ValidationError) else str(error)
        st.error(f"Password not changed: {reason}")
        return
    st.session_state[NOTICE_KEY] = "Password changed."
    st.rerun()


def show_notice() -> None:
    """Show (once) a notice left for the next rerun, e.g. after a password change."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
