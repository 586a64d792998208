"""Taking one snapshot: databases first, then exactly the archived blobs the ledger copy
references, then configuration and photos, then the manifest."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from operations.backup import blobs, databases
from operations.backup.layout import (
    LAKE_PATHS,
    LEDGER_COPY,
    POSTGRES_DUMP,
    SQLITE_DUMP,
    HomeParts,
    home_files,
    snapshot_dir,
    snapshot_names,
)
from operations.backup.lock import locked
from operations.backup.manifest import Manifest, read_manifest, sha256_of, write_manifest

REFERENCED_BLOBS = (Path(__file__).with_name("referenced_blobs.sql")).read_text()


@dataclass(frozen=True)
class BackupReport:
    """What one backup did."""

    snapshot: Path
    blobs_copied: int  # archived contents and files copied into the blob store by this backup
    blobs_reused: int  # already in the store from an earlier snapshot: not copied again
    bytes_copied: int
    archive_contents: int
    files: int


def snapshot_name(now: datetime) -> str:
    """The snapshot folder name of ``now``: its UTC time to the microsecond."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def create_backup(
    backup: Path, parts: HomeParts, *, with_lake: bool = False, now: datetime | None = None
) -> BackupReport:
    """Back up the home ``parts`` into the folder ``backup`` as a new snapshot."""
    moment = now or datetime.now(UTC)
    with locked(backup):
        previous = _latest_files(backup)
        snapshot = snapshot_dir(backup, snapshot_name(moment))
        snapshot.mkdir(parents=True)
        kind = databases.database_kind(parts.database_url)
        manifest = Manifest(moment.astimezone(UTC).isoformat(), kind, with_lake)
        # the ledger first: the blobs copied are then exactly those the copy references (blobs
        # are immutable, so one that is referenced is complete)
        referenced = _copy_ledger(parts.ledger, snapshot / LEDGER_COPY)
        if kind == "sqlite":
            databases.copy_sqlite(databases.sqlite_file(parts.database_url), snapshot / SQLITE_DUMP)
        else:
            databases.dump_postgres(parts.database_url, snapshot / POSTGRES_DUMP)
        for copy in sorted(p for p in snapshot.iterdir() if not p.name.startswith(".")):
            sha, size = sha256_of(copy)
            manifest.snapshot_files[copy.name] = {"sha256": sha, "size": size}
        counts = [0, 0, 0]  # copied, reused, bytes
        present = blobs.existing(backup)
        for sha, size in referenced:
            copied = sha not in present
            if copied:
                blobs.store(backup, parts.blob_path(sha), expected_sha=sha)
                present.add(sha)
            _count(counts, copied, size)
            manifest.archive[sha] = size
        names = parts.kept_paths + (LAKE_PATHS if with_lake else ())
        for path in home_files(parts.home, names):
            relative = path.relative_to(parts.home).as_posix()
            entry = _store_file(backup, path, previous.get(relative), counts, present)
            manifest.files[relative] = entry
        write_manifest(snapshot, manifest)
    return BackupReport(
        snapshot, counts[0], counts[1], counts[2], len(manifest.archive), len(manifest.files)
    )


def _count(counts: list[int], copied: bool, size: int) -> None:
    counts[0 if copied else 1] += 1
    if copied:
        counts[2] += size


def _copy_ledger(ledger: Path, target: Path) -> list[tuple[str, int]]:
    """Copy the ledger (if anything was ever received) and list the contents it references."""
    if not ledger.is_file():
        return []
    databases.copy_sqlite(ledger, target)
    with closing(sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)) as con:
        return [(sha, int(size)) for sha, size in con.execute(REFERENCED_BLOBS)]


def _latest_files(backup: Path) -> dict[str, dict[str, object]]:
    """The files of the newest snapshot, to skip hashing files unchanged since (same size and
    modification time, and the blob still there)."""
    names = snapshot_names(backup)
    return read_manifest(snapshot_dir(backup, names[-1])).files if names else {}


def _store_file(
    backup: Path,
    path: Path,
    before: dict[str, object] | None,
    counts: list[int],
    present: set[str],
) -> dict[str, object]:
    stat = path.stat()
    if (
        before is not None
        and before["size"] == stat.st_size
        and before["mtime_ns"] == stat.st_mtime_ns
        and before["sha256"] in present
    ):
        counts[1] += 1
        return dict(before)
    sha, size, copied = blobs.store(backup, path)
    present.add(sha)
    _count(counts, copied, size)
    return {"sha256": sha, "size": size, "mtime_ns": stat.st_mtime_ns}
