"""The nightly maintenance tasks, each returning what it did as flat metadata.

Run by the Dagster job ``nightly_maintenance`` (``orchestration/defs/maintenance``) and by
``cvd maintenance run``. Each task takes its settings as arguments; the library does the work:

- ``sessions``: expired or revoked sessions and spent sign-in counters removed
  (``operations.services.housekeeping``);
- ``audit``: audit rows older than ``CVD_AUDIT_RETENTION_DAYS`` archived to
  ``$CVD_HOME/audit-archive/`` then removed (``operations.retention``); unset: kept forever;
- ``lake``: superseded lake versions no reader can still use removed (``transforms.lake_gc``);
- ``runs``: finished Dagster runs not updated for ``CVD_RUN_RETENTION_DAYS`` deleted, with their
  event logs;
- ``sqlite``: ``VACUUM`` and ``ANALYZE`` of the SQLite operational database and the archive's
  ledger (on PostgreSQL, ``ANALYZE`` only).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg

from ingest.ledger import ledger_file
from operations import db, retention
from operations.permissions import operator
from operations.services import housekeeping
from orchestration.settings import MaintenanceSettings, Settings
from transforms.lake_gc import collect

ACTOR_CHANNEL = "maintenance"
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
RUN_PAGE = 200

Metadata = dict[str, int | str]


def sessions(database_url: str, now: datetime) -> Metadata:
    """Remove expired or revoked sessions and spent sign-in counters."""
    engine = db.connect(database_url)
    try:
        db.require_current(engine)
        actor = operator(ACTOR_CHANNEL)
        return {
            "sessions_removed": housekeeping.purge_sessions(engine, actor, now=now),
            "sign_in_counters_removed": housekeeping.purge_sign_in_counters(engine, actor, now=now),
        }
    finally:
        engine.dispose()


def audit(
    database_url: str, archive_dir: Path, retention_days: int | None, now: datetime
) -> Metadata:
    """Archive then remove audit rows older than ``retention_days`` (None: keep forever)."""
    if retention_days is None:
        return {"skipped": "CVD_AUDIT_RETENTION_DAYS is not set: the audit log is kept forever"}
    engine = db.connect(database_url)
    try:
        db.require_current(engine)
        cutoff = now - timedelta(days=retention_days)
        pruned = retention.archive_and_remove(
            engine, operator(ACTOR_CHANNEL), older_than=cutoff, archive_dir=archive_dir
        )
    finally:
        engine.dispose()
    done: Metadata = {"rows_removed": pruned.removed, "older_than": cutoff.isoformat()}
    if pruned.archive is not None:
        done |= {"archive": str(pruned.archive), "archive_bytes": pruned.archive_bytes}
        done["first_kept_id"] = pruned.first_kept_id or 0
    return done


def lake(settings: Settings, maintenance: MaintenanceSettings) -> Metadata:
    """Remove superseded lake versions past the grace period that no catalog view names, on
    a local disk or in object storage (where the catalog snapshots readers on other machines
    open are honoured too, and old snapshots go as well)."""
    done = collect(
        settings.lake,
        settings.warehouse,
        grace=timedelta(hours=maintenance.lake_grace_hours),
        keep=maintenance.lake_keep_versions,
    )
    return {
        "versions_removed": done.removed,
        "bytes_freed": done.bytes_freed,
        "kept_named_by_catalog": done.kept_referenced,
        "kept_in_grace_period": done.kept_in_grace,
        "kept_by_count": done.kept_by_count,
        "temp_files_removed": done.temp_removed,
    }


def runs(instance: dg.DagsterInstance, retention_days: int, now: datetime) -> Metadata:
    """Delete finished runs (and their events) last updated more than ``retention_days`` ago."""
    cutoff = now - timedelta(days=retention_days)
    old = dg.RunsFilter(statuses=list(FINISHED), updated_before=cutoff)
    deleted = 0
    while records := instance.get_run_records(filters=old, limit=RUN_PAGE):
        for record in records:
            instance.delete_run(record.dagster_run.run_id)
            deleted += 1
    return {"runs_deleted": deleted, "updated_before": cutoff.isoformat()}


def sqlite(settings: Settings) -> Metadata:
    """VACUUM and ANALYZE the SQLite files; on PostgreSQL only ANALYZE the database."""
    done: Metadata = {}
    operational = db.compact(settings.database_url)
    if operational.bytes_before is None:
        done["operational_db"] = "PostgreSQL: ANALYZE run; VACUUM skipped (autovacuum's job)"
    else:
        done["operational_db"] = "VACUUM, ANALYZE"
        done["operational_db_bytes_before"] = operational.bytes_before
        done["operational_db_bytes_after"] = operational.bytes_after or 0
    ledger = ledger_file(settings.archive, settings.ledger_url)
    if ledger is None:
        db.compact(str(settings.ledger_url))
        done["ledger"] = "PostgreSQL: ANALYZE run; VACUUM skipped (autovacuum's job)"
        return done
    if not ledger.exists():
        done["ledger"] = "skipped: no ledger yet"
        return done
    compacted = db.compact_sqlite_file(ledger)
    done["ledger"] = "VACUUM, ANALYZE"
    done["ledger_bytes_before"] = compacted.bytes_before or 0
    done["ledger_bytes_after"] = compacted.bytes_after or 0
    return done
