"""When the backup runs: every night at 03:30, after the 02:00 rebuild."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.backup.jobs import backup_job

nightly_backup = dg.ScheduleDefinition(
    name="nightly_backup",
    job=backup_job,
    cron_schedule="30 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
