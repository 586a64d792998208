"""Restoring a snapshot into an empty home: everything verified before anything is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from operations.backup import blobs, databases
from operations.backup.layout import (
    LEDGER_COPY,
    POSTGRES_DUMP,
    SQLITE_DUMP,
    HomeParts,
    snapshot_dir,
)
from operations.backup.manifest import BackupError
from operations.backup.verify import chosen_snapshots, verify_snapshot

ARCHIVED_MODE = 0o400  # archived contents are immutable
FILE_MODE = 0o600


@dataclass(frozen=True)
class RestoreReport:
    """What was restored."""

    snapshot: str
    archive_contents: int
    files: int


def check_empty(home: Path) -> None:
    """Refuse a home that holds anything."""
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise BackupError(f"{home}: not an empty folder, refusing to restore into it")


def restore_snapshot(backup: Path, target: HomeParts, snapshot: str | None) -> RestoreReport:
    """Restore ``snapshot`` (default: the newest) of ``backup`` into ``target``
    (its ``blob_path``: where an archived content goes)."""
    name = chosen_snapshots(backup, snapshot)[-1]
    check_empty(target.home)
    kind = databases.database_kind(target.database_url)
    if kind == "sqlite" and databases.sqlite_file(target.database_url).exists():
        raise BackupError(f"{databases.sqlite_file(target.database_url)}: exists, refusing")
    if kind == "postgresql":
        databases.check_empty_postgres(target.database_url)
    manifest = verify_snapshot(backup, name)  # raises before anything is written
    if manifest.database_kind != kind:
        raise BackupError(
            f"{snapshot_dir(backup, name)}: a {manifest.database_kind} backup cannot be "
            f"restored into a {kind} database"
        )
    folder = snapshot_dir(backup, name)
    target.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if kind == "sqlite":
        databases.restore_sqlite(folder / SQLITE_DUMP, databases.sqlite_file(target.database_url))
    else:
        databases.restore_postgres(folder / POSTGRES_DUMP, target.database_url)
    if LEDGER_COPY in manifest.snapshot_files:
        databases.restore_sqlite(folder / LEDGER_COPY, target.ledger)
    for sha in sorted(manifest.archive):
        path = target.blob_path(sha)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        blobs.restore_blob(backup, sha, path, ARCHIVED_MODE)
    for relative, entry in sorted(manifest.files.items()):
        path = target.home / relative
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        blobs.restore_blob(backup, entry["sha256"], path, FILE_MODE)
    return RestoreReport(name, len(manifest.archive), len(manifest.files))
