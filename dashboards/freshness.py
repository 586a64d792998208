"""Say when the figures do not show a change yet: writes land in the operational database at
once, the warehouse (and every figure read from it) only at the next pipeline run."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboards import data, session
from operations.services import fleet


def warehouse_built_at() -> datetime | None:
    """When the warehouse file was last swapped in (None before the first run)."""
    try:
        return datetime.fromtimestamp(data.settings().warehouse.stat().st_mtime, UTC)
    except FileNotFoundError:
        return None


def lag_note() -> bool:
    """Show a note when master data changed after the warehouse was built; True if shown."""
    changed = fleet.last_master_change(data.ops_db(), session.actor())
    built = warehouse_built_at()
    if changed is None or (built is not None and changed <= built):
        return False
    when = "never" if built is None else built.strftime("%Y-%m-%d %H:%M UTC")
    st.info(
        f"Master data changed at {changed:%Y-%m-%d %H:%M} UTC, after the warehouse was built "
        f"({when}): lists of machines, products, locations and routes here are current, but "
        "sales, health and stock figures show the change after the next pipeline run."
    )
    return True
