"""Master-data files: download every master-data table as the CSV file `cvd import master-data`
reads (formula-safe, ``transforms.spreadsheet``), and (admins, managers) upload such files: the
import runs through the same service layer with the signed-in user, and its row-level report
(file, line, key, field, reason) is shown as the command prints it."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import actions, data, freshness, session, tables
from dashboards.escape import md
from dashboards.pages import MANAGERS, OFFICE
from operations.csv_rows import MAX_FILE_BYTES
from operations.errors import OperationsError
from operations.importer import MASTER_DATA_FILES, ImportReport, import_master_data
from operations.services.masterdata_files import export_files
from transforms.spreadsheet import write_rows

REPORT_KEY = "master_files_report"


def _downloads() -> None:
    st.subheader("Download")
    st.caption(
        "Each file has the columns `cvd import master-data` reads (docs/master-data.md); "
        "text a spreadsheet would run as a formula starts with an apostrophe."
    )
    files = export_files(data.ops_db(), session.actor())
    cols = st.columns(3)
    for number, (name, (header, rows)) in enumerate(files.items()):
        buffer = io.StringIO()
        write_rows(buffer, header, rows)
        cols[number % 3].download_button(
            f"{name} ({len(rows)} rows)",
            buffer.getvalue(),
            file_name=name,
            mime="text/csv",
            key=f"download_{name}",
        )


def _report(report: ImportReport) -> None:
    counts = report.counts()
    summary = pd.DataFrame(
        [
            {"file": file, **{o: int(c.get(o, 0)) for o in ("created", "updated", "unchanged")}}
            | {"rejected": int(c.get("rejected", 0)), "not_applied": int(c.get("not_applied", 0))}
            for file, c in counts.items()
        ]
    )
    tables.show(summary, key="import_summary")
    problems = [r for r in report.rows if r.outcome in {"rejected", "not_applied"}]
    if problems:
        st.error(f"{len(problems)} row(s) were not imported; the others were.")
        frame = pd.DataFrame(
            [
                {
                    "file": r.file,
                    "line": r.line,
                    "key": r.key,
                    "outcome": r.outcome.replace("_", " "),
                    "field": r.field,
                    "reason": r.reason,
                }
                for r in problems
            ]
        )
        tables.show(frame, key="import_problems")
    else:
        st.success("Every row was imported.")


def _upload() -> None:
    st.subheader("Upload")
    uploads = st.file_uploader(
        f"Master-data CSV files ({', '.join(MASTER_DATA_FILES)})",
        type=["csv"],
        accept_multiple_files=True,
        key="master_upload",
    )
    if not st.button("Import the files", key="master_import") or not uploads:
        return
    wrong = [u.name for u in uploads if u.name not in MASTER_DATA_FILES]
    big = [u.name for u in uploads if u.size > MAX_FILE_BYTES]
    if wrong or big:
        for name in wrong:
            st.error(f"{md(name)}: not a master-data file name; nothing was imported.")
        for name in big:
            st.error(f"{md(name)}: over {MAX_FILE_BYTES:,} bytes; nothing was imported.")
        return
    with tempfile.TemporaryDirectory(prefix="cvd-upload-") as folder:
        for upload in uploads:
            (Path(folder) / upload.name).write_bytes(upload.getvalue())
        try:
            report = import_master_data(
                data.ops_db(),
                Path(folder),
                actor=session.actor(),
                files=[u.name for u in uploads],
            )
        except OperationsError as problem:
            st.error(f"Not imported: {md(problem)}. Nothing was changed.")
            return
    data.clear_caches()
    st.session_state[REPORT_KEY] = report


def main() -> None:
    """Render the page."""
    who = session.require_role(OFFICE)
    st.title("Master-data files")
    actions.show_outcome()
    freshness.lag_note()
    _downloads()
    if who.role not in MANAGERS:
        st.caption("Master-data files are imported by managers and admins.")
        return
    _upload()
    report = st.session_state.get(REPORT_KEY)
    if isinstance(report, ImportReport):
        _report(report)


main()
