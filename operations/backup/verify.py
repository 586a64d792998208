"""Checking a backup: every file a snapshot needs is there and hashes to its manifest entry."""

from __future__ import annotations

from pathlib import Path

from operations.backup.layout import blob_file, snapshot_dir, snapshot_names
from operations.backup.manifest import BackupError, Manifest, read_manifest, sha256_of


def chosen_snapshots(backup: Path, snapshot: str | None) -> list[str]:
    """``snapshot`` (which must be complete) or every complete snapshot; BackupError if none."""
    names = snapshot_names(backup)
    if snapshot is not None:
        if snapshot not in names:
            raise BackupError(f"{snapshot_dir(backup, snapshot)}: no such complete snapshot")
        return [snapshot]
    if not names:
        raise BackupError(f"{backup}: no complete snapshot")
    return names


def verify_snapshot(backup: Path, name: str, checked: set[str] | None = None) -> Manifest:
    """Hash every file of snapshot ``name``; BackupError naming the first one that is missing or
    differs. ``checked``: blobs already verified (by another snapshot), not read again."""
    folder = snapshot_dir(backup, name)
    manifest = read_manifest(folder)
    for file_name, entry in sorted(manifest.snapshot_files.items()):
        _check(folder / file_name, entry["sha256"], entry["size"])
    done = set() if checked is None else checked
    for sha, size in sorted(manifest.blobs().items()):
        if sha not in done:
            _check(blob_file(backup, sha), sha, size)
            done.add(sha)
    return manifest


def verify_backup(backup: Path, snapshot: str | None = None) -> list[str]:
    """Verify ``snapshot`` or every snapshot of ``backup``; the names verified."""
    names = chosen_snapshots(backup, snapshot)
    checked: set[str] = set()
    for name in names:
        verify_snapshot(backup, name, checked)
    return names


def _check(path: Path, sha: str, size: int) -> None:
    if not path.is_file():
        raise BackupError(f"{path}: missing")
    got, got_size = sha256_of(path)
    if got_size != size or got != sha:
        raise BackupError(f"{path}: checksum mismatch (expected {sha}, {size} bytes)")
