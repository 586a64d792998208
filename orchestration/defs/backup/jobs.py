"""The nightly backup: a snapshot of what the home cannot rebuild, then the retention policy."""

# no `from __future__ import annotations`: Dagster reads the context annotation at definition

from dataclasses import replace

import dagster as dg

from orchestration.backups import back_up, prune_backups
from orchestration.defs.resources import CvdHomeResource, OperationalDatabaseResource
from orchestration.settings import load_backup_settings


@dg.op
def back_up_home(
    context: dg.OpExecutionContext,
    cvd: CvdHomeResource,
    operational_db: OperationalDatabaseResource,
) -> None:
    """Take a snapshot into ``CVD_BACKUP_DIR``, then keep only the newest snapshot of each of
    the last ``CVD_BACKUP_KEEP_DAILY`` days and ``CVD_BACKUP_KEEP_WEEKLY`` weeks (blobs no kept
    snapshot needs are removed)."""
    settings = replace(cvd.settings(), database_url=operational_db.url)
    configured = load_backup_settings(settings)
    report = back_up(settings, configured.directory, with_lake=configured.with_lake)
    context.log.info(
        f"snapshot {report.snapshot}: {report.blobs_copied} blobs copied "
        f"({report.bytes_copied} bytes), {report.blobs_reused} already backed up"
    )
    pruned = prune_backups(
        settings, configured.directory, configured.keep_daily, configured.keep_weekly
    )
    context.log.info(
        f"kept {len(pruned.kept)} snapshots, removed {pruned.removed}, "
        f"{pruned.blobs_removed} unneeded blobs"
    )


@dg.job(description="Back up the operational database, archive, configuration and photos.")
def backup_job() -> None:
    """The nightly backup (one op)."""
    back_up_home()
