"""The Admin page's API tokens section (admins): every token with its scope and state, and a
revoke form. Tokens are added with `cvd tokens add` (the token is printed once there)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, session, tables
from operations.errors import NotFound, PermissionDenied, ValidationError
from operations.schema import ApiToken, utcnow
from operations.services import tokens

FAILURES = (ValidationError, NotFound, PermissionDenied)


def _state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"


def render() -> None:
    """The section: a table of tokens (never a token itself) and the revoke form."""
    st.subheader("API tokens")
    st.caption("Add one with `cvd tokens add NAME --scope intake|read|metrics`; it is shown once.")
    listed = tokens.list_tokens(data.ops_db(), session.actor())
    frame = pd.DataFrame(
        [
            {
                "name": t.name,
                "scope": t.scope,
                "state": _state(t),
                "expires": t.expires_at,
                "created": t.created_at,
                "created_by": t.created_by,
                "last_used": t.last_used_at,
                "revoked_by": t.revoked_by,
            }
            for t in listed
        ],
        columns=[
            "name",
            "scope",
            "state",
            "expires",
            "created",
            "created_by",
            "last_used",
            "revoked_by",
        ],
    )
    tables.show(frame, hide_index=True, width="stretch", key="tokens_table")
    active = [t.name for t in listed if _state(t) == "active"]
    if not active:
        return
    with st.form("revoke_token"):
        st.markdown("**Revoke a token** (refused at once by the API)")
        name = st.selectbox("Token", active, key="revoke_token_name")
        confirm = st.checkbox("Yes, revoke this token", key="revoke_token_confirm")
        submitted = st.form_submit_button("Revoke token")
    if not submitted:
        return
    if not confirm:
        st.error("Tick the confirmation to revoke.")
        return
    try:
        tokens.revoke_token(data.ops_db(), session.actor(), name or "")
    except FAILURES as error:
        st.error(f"Not revoked: {error}")
    else:
        st.success(f"Token {name} revoked.")
