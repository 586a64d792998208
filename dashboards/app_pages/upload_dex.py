"""Upload DEX: one or several files (drag and drop or the picker), each received as the inbox and
the HTTP API receive files, with an immediate verdict: machine serial, reads, CRC verified, or
why it would be quarantined. The pipeline builds them on its next run. Admins, managers, drivers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, session
from dashboards.escape import md
from dashboards.pages import MANAGERS
from ingest.upload import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, UploadVerdict, upload_files
from operations.errors import OperationsError, PermissionDenied
from operations.permissions import Action

VERDICTS = "upload_dex_verdicts"
UPLOADER_REV = "upload_dex_rev"


def verdict_table(verdicts: list[UploadVerdict]) -> pd.DataFrame:
    """The verdicts as the page shows them, with labels a manager reads."""
    return pd.DataFrame(
        [
            {
                "File": v.name,
                "Received": v.outcome,
                "Verdict": v.status,
                "Machine serial": ", ".join(v.serials) or "–",
                "Reads (usable / all)": f"{v.usable_reads} / {v.reads}",
                "CRC verified": f"{v.crc_verified} of {v.reads}" if v.reads else "–",
                "Why quarantined or refused": "; ".join(v.reasons) or "–",
                "Size (bytes)": v.size,
            }
            for v in verdicts
        ]
    )


def _receive(files: list[tuple[str, bytes]]) -> None:
    who = session.actor()
    try:
        settings = data.settings()
        verdicts = upload_files(
            settings.archive,
            data.ops_db(),
            who,
            files,
            blobs=settings.blobs,
            ledger_url=settings.ledger_url,
        )
    except PermissionDenied as refused:
        st.error(f"Not allowed: {md(refused)}. Nothing was received.")
        return
    except OperationsError as problem:
        st.error(f"Could not receive the files: {md(problem)}.")
        return
    st.session_state[VERDICTS] = verdicts
    st.session_state[UPLOADER_REV] = st.session_state.get(UPLOADER_REV, 0) + 1  # empty picker
    data.clear_caches()
    st.rerun()


def main() -> None:
    """Render the page."""
    who = session.require_role(MANAGERS | {"driver"})
    st.title("Upload DEX")
    if not session.allowed(Action.UPLOAD_DEX, who):
        st.info(f"Your role ({md(who.role)}) may not upload DEX files.")
        return
    limit_kib = MAX_UPLOAD_BYTES // 1024
    picked = st.file_uploader(
        f"DEX files (up to {MAX_UPLOAD_FILES} at once, {limit_kib} KiB each)",
        accept_multiple_files=True,
        key=f"upload_dex_files_{st.session_state.get(UPLOADER_REV, 0)}",
    )
    if st.button("Upload files", key="upload_dex_go", type="primary", disabled=not picked):
        _receive([(f.name, f.getvalue()) for f in picked or []])
    verdicts: list[UploadVerdict] = st.session_state.get(VERDICTS, [])
    if verdicts:
        received = sum(v.outcome == "received" for v in verdicts)
        st.success(
            f"{received} new file(s) received, {len(verdicts) - received} already received or "
            "refused. The pipeline builds them on its next run (the sensor, or `cvd materialize`); "
            "until then the figures do not include them."
        )
        st.dataframe(
            verdict_table(verdicts),
            hide_index=True,
            width="stretch",
            column_config={
                "Why quarantined or refused": st.column_config.TextColumn(width="large")
            },
        )


main()
