"""Writes from the pages: call an operations service, report the outcome, refresh.

Pages never write themselves: they hand a service call to :func:`perform`. A refusal
(``PermissionDenied``) or bad input (``ValidationError``, ``NotFound``, ``Conflict``) is shown as
a clear message and nothing changes (the services write all or nothing). On success the cached
warehouse reads are cleared, the outcome is kept for the next run (:func:`show_outcome`) and the
page reruns so every table shows the new state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from dashboards import data, session
from dashboards.escape import md
from operations.errors import OperationsError, PermissionDenied

OUTCOME_KEY = "cvd_action_outcome"
log = logging.getLogger("dashboards.actions")
ResultT = TypeVar("ResultT")


def perform(what: str, write: Callable[[], ResultT], outcome: Callable[[ResultT], str]) -> None:
    """Run ``write`` (a service call); on success remember ``outcome(result)`` and rerun.

    ``outcome`` returns Markdown: it escapes the data it quotes with ``dashboards.escape.md``.

    ``what`` names the action for the log and the error message (``"accept recommendations"``).
    """
    who = session.actor()
    try:
        result = write()
    except PermissionDenied as refused:
        log.warning("%s refused for %s (%s): %s", what, who.username, who.role, refused)
        st.error(f"Not allowed: {md(refused)}. Nothing was changed.")
        return
    except OperationsError as problem:
        log.info("%s by %s not done: %s", what, who.username, problem)
        st.error(f"Could not {what}: {md(problem)}. Nothing was changed.")
        return
    message = outcome(result)
    log.info("%s by %s: %s", what, who.username, message)
    data.clear_caches()
    st.session_state[OUTCOME_KEY] = message
    st.rerun()


def show_outcome() -> None:
    """Show (once) what the last action on this page did."""
    message = st.session_state.pop(OUTCOME_KEY, None)
    if message:
        st.success(message)  # the pages escape the data they put in it (dashboards.escape.md)
