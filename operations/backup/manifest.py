"""The manifest of a snapshot: every file it needs with its SHA-256 and size.

``files``: home-relative path -> {sha256, size, mtime_ns} (the bytes are the blob of that hash);
``archive``: archived content sha256 -> size (the blob of that hash, restored as the archive's
file); ``snapshot_files``: name inside the snapshot folder (the database copies) -> {sha256,
size}. Written last and atomically, so a snapshot without one is incomplete and ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operations.backup.layout import MANIFEST

FORMAT = 1
SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be made, verified or restored; the message names the file."""


@dataclass
class Manifest:
    """What one snapshot holds."""

    created_at: str
    database_kind: str  # "sqlite" or "postgresql"
    with_lake: bool
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    archive: dict[str, int] = field(default_factory=dict)
    snapshot_files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def blobs(self) -> dict[str, int]:
        """Every blob this snapshot needs: sha256 -> size."""
        needed = dict(self.archive)
        needed.update({entry["sha256"]: entry["size"] for entry in self.files.values()})
        return needed


def sha256_of(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the file ``path``, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_manifest(snapshot: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` into ``snapshot`` atomically (temp file, fsync, rename)."""
    doc = {"format": FORMAT, **manifest.__dict__}
    tmp = snapshot / f".{MANIFEST}.tmp"
    with tmp.open("w") as handle:
        json.dump(doc, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(snapshot / MANIFEST)


def read_manifest(snapshot: Path) -> Manifest:
    """The manifest of ``snapshot``; BackupError naming the file if it is missing or unreadable."""
    path = snapshot / MANIFEST
    try:
        doc = json.loads(path.read_text())
        if doc.pop("format") != FORMAT:
            raise BackupError(f"{path}: unknown manifest format")
        manifest = Manifest(**doc)
        _check_shapes(manifest)
        return manifest
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise BackupError(f"{path}: unreadable manifest ({error})") from None


def _check_shapes(manifest: Manifest) -> None:
    """Every entry has a hash of 64 hex digits and an integer size (a damaged manifest fails
    here rather than in the middle of a restore)."""
    entries = [*manifest.files.values(), *manifest.snapshot_files.values()]
    pairs = [(e["sha256"], e["size"]) for e in entries] + list(manifest.archive.items())
    for relative in manifest.files:
        if relative.startswith("/") or ".." in relative.split("/"):
            raise ValueError(f"path {relative!r} leaves the home")
    for sha, size in pairs:
        if not isinstance(sha, str) or not SHA256.fullmatch(sha):
            raise ValueError(f"bad sha256 {sha!r}")
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"bad size {size!r}")
