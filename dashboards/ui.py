"""Small helpers shared by the pages: the data's "today", money, driver scoping, Markdown
escaping, the planogram-vs-DEX note."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboards import data, session
from dashboards.escape import md

STATUS_COLOURS = {
    "ok": "#2e7d32",
    "stale": "#f9a825",
    "failing": "#c62828",
    "unassigned": "#757575",
}
HEALTH_COLUMNS = [
    "asset_number",
    "machine_serial",
    "status",
    "telemetry",
    "last_read_at",
    "last_read_age_hours",
    "reads_expected",
    "reads_received",
    "crc_failures",
    "clock_problems",
]


def data_day() -> date | None:
    """The data's last day (see ``sql/data_day.sql``), or None before any sales."""
    frame = data.query("data_day")
    value = frame["data_day"].iloc[0] if len(frame) else None
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def money(value: object, currency: str | None = None) -> str:
    """``1,234.50 USD`` (empty for missing values)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{float(value):,.2f}"
    return f"{text} {currency}" if currency else text


def only_visible(frame: pd.DataFrame, column: str = "machine_serial") -> pd.DataFrame:
    """Rows of machines the signed-in user may see (a driver: their routes' machines)."""
    own = session.own_machines()
    if own is None:
        return frame
    return frame[frame[column].isin(own)]


def empty_note(frame: pd.DataFrame, message: str) -> bool:
    """Show ``message`` and return True when ``frame`` has no rows."""
    if frame.empty:
        st.caption(message)
        return True
    return False


def planogram_vs_dex_note(frame: pd.DataFrame) -> None:
    """Warn about the selections (``dashboards/sql/planogram_vs_dex.sql`` rows) where the
    machine's DEX reports another product than the planogram: the recommendations plan them with
    what DEX reports. Shows nothing when there are none."""
    if frame.empty:
        return

    def first(*values: object) -> object:
        return next((v for v in values if pd.notna(v) and v != ""), None)

    lines = []
    for r in frame.itertuples():
        slot = first(r.slot)
        where = f"cabinet {int(r.cabinet_index)} {md(slot)}" if slot else "no slot"
        planned = first(r.planogram_product, r.planogram_product_id)
        lines.append(
            f"- selection {md(r.selection)} ({where}): DEX reports "
            f"**{md(first(r.dex_product, r.dex_product_id))}**, the planogram "
            + (md(planned) if planned else "nothing (not in the planogram)")
        )
    st.warning(
        f"The machine's DEX disagrees with the planogram in {len(frame)} selection(s); "
        "recommendations plan them with what DEX reports. Update the planogram (accept the "
        "recommendation) or check the machine.\n\n" + "\n".join(lines)
    )
