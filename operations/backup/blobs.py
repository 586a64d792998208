"""Copying bytes into (and out of) the backup's content-addressed blob store, hashing as they
are copied: nothing lands under a name that is not the hash of what it holds."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from operations.backup.layout import BLOBS, blob_file
from operations.backup.manifest import CHUNK, BackupError


def existing(backup: Path) -> set[str]:
    """The hashes of every blob in the store, listed folder by folder (256 listings instead of
    one look-up per archived file: what makes a backup after one more day cheap)."""
    root = backup / BLOBS
    if not root.is_dir():
        return set()
    found: set[str] = set()
    with os.scandir(root) as prefixes:
        for prefix in prefixes:
            if prefix.is_dir() and len(prefix.name) == 2:
                with os.scandir(prefix.path) as entries:
                    found.update(e.name for e in entries if not e.name.startswith("."))
    return found


def copy_hashed(source: Path, target_dir: Path) -> tuple[str, int, Path]:
    """Copy ``source`` to a temp file in ``target_dir`` while hashing it; (sha256, size, temp)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    tmp = target_dir / f".copy.{uuid.uuid4().hex}.tmp"
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, tmp.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, tmp


def store(backup: Path, source: Path, expected_sha: str | None = None) -> tuple[str, int, bool]:
    """Put the bytes of ``source`` into the blob store; (sha256, size, copied). With
    ``expected_sha`` (an archived content, immutable) nothing is read when that blob is already
    there, and bytes that do not hash to it raise BackupError naming the file."""
    if expected_sha is not None and blob_file(backup, expected_sha).is_file():
        return expected_sha, blob_file(backup, expected_sha).stat().st_size, False
    sha, size, tmp = copy_hashed(source, backup / BLOBS)
    try:
        if expected_sha is not None and sha != expected_sha:
            raise BackupError(f"{source}: content hashes to {sha}, not {expected_sha}")
        target = blob_file(backup, sha)
        if target.is_file():
            return sha, size, False
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o400)
        tmp.replace(target)
        return sha, size, True
    finally:
        tmp.unlink(missing_ok=True)


def restore_blob(backup: Path, sha: str, target: Path, mode: int) -> None:
    """Copy the blob ``sha`` to ``target`` (checked against its hash on the way), with ``mode``."""
    got, _, tmp = copy_hashed(blob_file(backup, sha), target.parent)
    try:
        if got != sha:
            raise BackupError(f"{blob_file(backup, sha)}: content hashes to {got}")
        tmp.chmod(mode)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
