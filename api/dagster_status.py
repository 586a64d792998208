"""What Dagster's own storage (under ``$CVD_HOME/dagster``) says: the daemon's heartbeat, the
last successful run and the failed runs. Dagster is imported only when asked (it is slow to
import), and one instance is kept per process."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DagsterStatus:
    """Ages in seconds; None where there is nothing (no daemon ever ran, no run succeeded)."""

    daemon_heartbeat_age_s: float | None
    last_success_age_s: float | None
    failed_runs: int


@cache
def _instance(dagster_home: Path) -> Any:
    import dagster as dg  # noqa: PLC0415  (seconds to import: only when first asked)

    return dg.DagsterInstance.from_config(str(dagster_home))


def dagster_status(dagster_home: Path) -> DagsterStatus | None:
    """The status, or None where this home has no Dagster storage yet."""
    if not (dagster_home / "dagster.yaml").exists():
        return None
    import dagster as dg  # noqa: PLC0415

    instance = _instance(dagster_home)
    now = time.time()
    beats = [b.timestamp for b in instance.get_daemon_heartbeats().values()]
    runs = instance.get_run_records(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1
    )
    ended = runs[0].end_time if runs and runs[0].end_time else None
    failed = instance.get_runs_count(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    return DagsterStatus(
        daemon_heartbeat_age_s=now - max(beats) if beats else None,
        last_success_age_s=now - ended if ended else None,
        failed_runs=int(failed),
    )
