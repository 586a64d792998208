"""Recent Dagster runs and asset-check results, read from the home's Dagster instance.

Read-only: the instance in ``$CVD_HOME/dagster`` is opened only if it exists (nothing is
created); no instance or no runs gives empty tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

RUN_COLUMNS = ["run_id", "status", "started", "finished", "seconds", "job", "partition"]
CHECK_COLUMNS = ["at", "asset", "check", "passed", "severity", "run_id"]


def _instance(dagster_home: Path):  # type: ignore[no-untyped-def]
    import dagster as dg  # noqa: PLC0415 - slow import, only on the Data quality page

    if not (dagster_home / "storage").is_dir():
        return None
    return dg.DagsterInstance.from_config(str(dagster_home))


def _time(stamp: float | None) -> datetime | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, tz=UTC)


@st.cache_data(ttl=30, show_spinner=False)
def recent_runs(dagster_home: str, limit: int = 20) -> pd.DataFrame:
    """The newest ``limit`` runs: id, status, start, end, duration, job, partition tag."""
    instance = _instance(Path(dagster_home))
    if instance is None:
        return pd.DataFrame(columns=RUN_COLUMNS)
    rows = []
    for record in instance.get_run_records(limit=limit):
        run = record.dagster_run
        start, end = record.start_time, record.end_time
        rows.append(
            {
                "run_id": run.run_id[:8],
                "status": run.status.value,
                "started": _time(start),
                "finished": _time(end),
                "seconds": None if start is None or end is None else round(end - start, 1),
                "job": run.job_name,
                "partition": run.tags.get("dagster/partition", ""),
            }
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


@st.cache_data(ttl=30, show_spinner=False)
def check_results(dagster_home: str, limit: int = 200) -> pd.DataFrame:
    """The newest ``limit`` asset-check evaluations: asset, check, passed, severity, run."""
    import dagster as dg  # noqa: PLC0415

    instance = _instance(Path(dagster_home))
    if instance is None:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION),
        limit=limit,
        ascending=False,
    )
    rows = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        rows.append(
            {
                "at": _time(record.timestamp),
                "asset": evaluation.asset_key.to_user_string(),
                "check": evaluation.check_name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "run_id": record.run_id[:8],
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
