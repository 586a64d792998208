"""Where a backup folder keeps its parts, and what of a home is backed up."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BLOBS = "blobs"
SNAPSHOTS = "snapshots"
MANIFEST = "manifest.json"
LOCK = ".lock"
SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}(\d{6})?Z$")  # UTC time: sorts by time
SQLITE_DUMP = "cvd.sqlite"
POSTGRES_DUMP = "operational.sql"
LEDGER_COPY = "ledger.sqlite"
# Home folders (or files) that hold something no run can rebuild, besides the databases and the
# archive: configuration, uploaded photos, the model registry (which model was promoted when),
# the master-data files as delivered.
KEPT_PATHS = ("planogram.toml", "config", "photos", "models", "master-data")
LAKE_PATHS = ("lake",)


@dataclass(frozen=True)
class HomeParts:
    """What a backup reads (or a restore writes): a home's paths and its database.

    ``blob_path`` maps an archived content's sha256 to its file, the archive's own layout; the
    caller passes it in so this package needs no knowledge of how receiving stores files.
    """

    home: Path
    database_url: str
    ledger: Path
    blob_path: Callable[[str], Path]
    kept_paths: tuple[str, ...] = field(default=KEPT_PATHS)


def blob_file(backup: Path, sha: str) -> Path:
    """Where the backup folder ``backup`` keeps the blob with hash ``sha``."""
    return backup / BLOBS / sha[:2] / sha


def snapshot_dir(backup: Path, name: str) -> Path:
    """The folder of snapshot ``name``."""
    return backup / SNAPSHOTS / name


def snapshot_names(backup: Path) -> list[str]:
    """The complete snapshots (with a manifest), oldest first."""
    root = backup / SNAPSHOTS
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if SNAPSHOT_NAME.match(p.name) and (p / MANIFEST).is_file()
    )


def home_files(home: Path, names: tuple[str, ...]) -> list[Path]:
    """Every regular file under the ``names`` of ``home`` (files or folders), sorted; temp files
    (a dot name) are skipped: they are half-written by definition."""
    found: list[Path] = []
    for name in names:
        top = home / name
        if top.is_file():
            found.append(top)
        elif top.is_dir():
            for root, dirs, files in os.walk(top):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [Path(root) / f for f in files if not f.startswith(".")]
    return sorted(p for p in found if p.is_file() and not p.is_symlink())
