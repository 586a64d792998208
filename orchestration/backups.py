"""Backups of a configured home, shared by `cvd backup`/`cvd restore` and the nightly Dagster
job: the home's parts from the settings, and every backup, prune and restore audited."""

from __future__ import annotations

import getpass
from pathlib import Path

from ingest.ledger import ledger_file
from ingest.receive import blob_path
from operations import db
from operations.backup.create import BackupReport, create_backup
from operations.backup.events import record_event
from operations.backup.layout import HomeParts
from operations.backup.manifest import BackupError
from operations.backup.restore import RestoreReport, restore_snapshot
from operations.backup.retention import PruneReport, prune
from operations.permissions import Actor, operator
from orchestration.settings import Settings


class BackupUnsupportedError(ValueError):
    """The home's configuration cannot be backed up by `cvd backup` (the message says why)."""


def home_parts(settings: Settings) -> HomeParts:
    """The home of ``settings`` as a backup reads it (or a restore writes it)."""
    ledger = ledger_file(settings.archive, settings.ledger_url)
    if ledger is None:
        # a snapshot holds a SQLite ledger and the blobs it names; a server's ledger is backed
        # up with the server (pg_dump, its WAL archive), not half-covered here
        raise BackupError(
            "the archive's ledger is on PostgreSQL (CVD_LEDGER_URL): back it up with the "
            "server's own tools; `cvd backup` covers the embedded SQLite ledger"
        )
    return HomeParts(
        home=settings.home,
        database_url=settings.database_url,
        ledger=ledger,
        blob_path=lambda sha: blob_path(settings.archive, sha),
    )


def _audit(settings: Settings, actor: Actor, action: str, key: str, **details: object) -> None:
    engine = db.connect(settings.database_url)
    try:
        record_event(engine, actor, action, key, os_user=getpass.getuser(), **details)
    finally:
        engine.dispose()


def back_up(
    settings: Settings, directory: Path, *, with_lake: bool, actor: Actor | None = None
) -> BackupReport:
    """Take a snapshot of the home into ``directory`` and audit it (after the snapshot, so the
    snapshot's own audit log ends before its row). A home whose archive blobs are in object
    storage is refused: the snapshot copies blobs from the local archive only (keep such a
    bucket with the store's own versioning and replication)."""
    if settings.archive_url:
        raise BackupUnsupportedError(
            f"CVD_ARCHIVE_URL={settings.archive_url}: backups of an archive in object storage "
            "are not supported; use the bucket's versioning and replication"
        )
    report = create_backup(directory, home_parts(settings), with_lake=with_lake)
    _audit(
        settings,
        actor or operator(),
        "backup",
        report.snapshot.name,
        directory=str(directory),
        blobs_copied=report.blobs_copied,
        blobs_reused=report.blobs_reused,
        bytes_copied=report.bytes_copied,
        with_lake=with_lake,
    )
    return report


def prune_backups(
    settings: Settings, directory: Path, daily: int, weekly: int, actor: Actor | None = None
) -> PruneReport:
    """Apply the retention policy to ``directory`` and audit what was removed."""
    report = prune(directory, daily, weekly)
    if report.removed or report.blobs_removed:
        _audit(
            settings,
            actor or operator(),
            "prune",
            str(directory)[:200],
            removed=report.removed,
            blobs_removed=report.blobs_removed,
            keep_daily=daily,
            keep_weekly=weekly,
        )
    return report


def restore(settings: Settings, directory: Path, snapshot: str | None) -> RestoreReport:
    """Restore a snapshot of ``directory`` into the (empty) home of ``settings``; audited in the
    restored database."""
    report = restore_snapshot(directory, home_parts(settings), snapshot)
    _audit(settings, operator(), "restore", report.snapshot, directory=str(directory))
    return report
