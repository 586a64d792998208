"""Data quality: recent Dagster runs and asset-check results, quarantined files with reasons
and a re-queue action, machines with stale reads or clock problems."""

from __future__ import annotations

import math

import streamlit as st

from dashboards import dagster_status, data, session, tables, ui
from dashboards.pages import OFFICE
from ingest import requeue
from operations.errors import NotFound, PermissionDenied, ValidationError
from operations.permissions import Action
from orchestration.settings import Settings

QUARANTINE_PAGE_ROWS = 100  # rows of the quarantine table per page


def _runs() -> None:
    home = str(data.settings().dagster_home)
    st.subheader("Recent runs")
    runs = dagster_status.recent_runs(home)
    if not ui.empty_note(runs, "No Dagster runs recorded in this home yet."):
        failed = int((runs["status"] != "SUCCESS").sum())
        st.caption(f"{len(runs)} newest runs, {failed} not successful.")
        tables.show(runs, hide_index=True, width="stretch")
    st.subheader("Asset checks")
    checks = dagster_status.check_results(home)
    if not ui.empty_note(checks, "No asset-check results yet."):
        st.caption(f"{int((~checks['passed']).sum())} of the {len(checks)} newest results failed.")
        tables.show(checks, hide_index=True, width="stretch")


def _requeue_form(records: list[dict]) -> None:
    who = session.actor()
    labels = {r["sha256"]: f"{r['original_name']} ({r['sha256'][:12]})" for r in records}
    with st.form("requeue"):
        st.markdown("**Re-queue a quarantined file**")
        sha = st.selectbox("File", list(labels), format_func=labels.get, key="requeue_sha")
        fixed = st.file_uploader(
            "Fixed copy (optional; without one the same bytes are parsed again)",
            key="requeue_file",
        )
        submitted = st.form_submit_button("Re-queue")
    if not submitted:
        return
    settings = data.settings()
    try:
        done = requeue.requeue(
            settings, data.ops_db(), who, sha or "", None if fixed is None else fixed.getvalue()
        )
    except (ValidationError, NotFound, PermissionDenied) as error:
        st.error(f"Not re-queued: {error}")
        return
    data.clear_caches()
    if done.target is not None:
        st.success(
            f"Re-queued {done.original_name} as {done.target.name}: the next run ingests it."
        )
        return
    _reparse(settings, done.reparse_day or "", who.username)


def _reparse(settings: Settings, day: str, username: str) -> None:
    """Launch the Dagster run that parses arrival ``day`` again, unless one is in progress."""
    from orchestration.launch import launch_day  # noqa: PLC0415 - loads Dagster and every asset

    launched = launch_day(settings, day, launched_by=username)
    if not launched.started:
        st.warning(
            f"Arrival day {day} is not re-parsed yet: Dagster run {launched.run_id} of the "
            "ingest job is queued or running. Re-queue the file again once it has finished."
        )
        return
    st.success(
        f"Re-parsing arrival day {day}: Dagster run {launched.run_id} launched (see Recent "
        "runs below, or the Dagster UI)."
    )


def _quarantine() -> None:
    """A page of the quarantine table at a time (never all of it), with the re-queue form for
    the files on that page."""
    st.subheader("Quarantined files")
    summary = data.query("quarantine_summary")
    files, total = int(summary["files"].iloc[0]), int(summary["rows"].iloc[0])
    pages = max(1, math.ceil(total / QUARANTINE_PAGE_ROWS))
    page = 1
    if pages > 1:
        page = int(st.number_input("Page", 1, pages, 1, key="quarantine_page"))
    offset = (page - 1) * QUARANTINE_PAGE_ROWS
    rows = data.query("quarantine_files", limit=QUARANTINE_PAGE_ROWS, offset=offset)
    st.caption(
        f"{files} files ({total} files or reads) in the warehouse's quarantine table; "
        f"rows {offset + 1 if total else 0}-{offset + len(rows)} shown."
    )
    if not ui.empty_note(rows, "Nothing quarantined."):
        tables.show(rows, hide_index=True, width="stretch")
    records = requeue.records_of(data.settings(), list(rows["sha256"]))
    if records and session.allowed(Action.REQUEUE_QUARANTINE):
        _requeue_form(records)


def _machines() -> None:
    st.subheader("Machines with stale reads or clock problems")
    machines = data.query("fleet_machines")
    bad = machines[(machines["status"] != "ok") | (machines["clock_problems"] > 0)]
    if not ui.empty_note(bad, "None."):
        tables.show(
            bad[ui.HEALTH_COLUMNS],
            hide_index=True,
            width="stretch",
        )
    clock = data.query("dq_clock_reads")
    with st.expander(f"Reads with a clock warning ({len(clock)})"):
        tables.show(clock, hide_index=True, width="stretch")


def main() -> None:
    """Render the page."""
    session.require_role(OFFICE)
    st.title("Data quality")
    _machines()
    _quarantine()
    _runs()


main()
