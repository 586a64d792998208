"""Which snapshots to keep (the newest of each of the last N days and M ISO weeks), removing
the others and every blob no kept snapshot needs."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from operations.backup.layout import BLOBS, snapshot_dir, snapshot_names
from operations.backup.lock import locked
from operations.backup.manifest import read_manifest


@dataclass(frozen=True)
class PruneReport:
    """What a prune kept and removed."""

    kept: list[str]
    removed: list[str]
    blobs_removed: int


def _day(name: str) -> date:
    return date(int(name[:4]), int(name[4:6]), int(name[6:8]))


def _week(name: str) -> tuple[int, int]:
    year, week, _ = _day(name).isocalendar()
    return year, week


def to_keep(names: list[str], daily: int, weekly: int) -> list[str]:
    """Of the snapshot ``names``: the newest of each of the ``daily`` most recent days with a
    snapshot, the newest of each of the ``weekly`` most recent ISO weeks, and the newest one."""
    newest_first = sorted(names, reverse=True)
    keep: set[str] = set(newest_first[:1])
    for key, count in ((_day, daily), (_week, weekly)):
        seen: list[object] = []
        for name in newest_first:
            bucket = key(name)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.append(bucket)
            keep.add(name)
    return sorted(keep)


def prune(backup: Path, daily: int, weekly: int) -> PruneReport:
    """Remove the snapshots :func:`to_keep` does not keep, incomplete ones (no manifest) and
    blobs that no kept snapshot needs."""
    with locked(backup):
        names = snapshot_names(backup)
        if not names:
            return PruneReport([], [], 0)  # nothing complete yet: nothing is known to be unneeded
        kept = to_keep(names, daily, weekly)
        removed = [n for n in names if n not in kept]
        needed: set[str] = set()
        for name in kept:
            needed |= set(read_manifest(snapshot_dir(backup, name)).blobs())
        root = backup / "snapshots"
        # a folder without a manifest is a backup that died; the lock says none is running
        leftovers = [p for p in root.iterdir() if p.is_dir() and p.name not in kept]
        leftovers += list((backup / BLOBS).glob(".copy.*.tmp"))  # copies a killed backup left
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        blobs_removed = 0
        for blob in (backup / BLOBS).glob("*/*"):
            if blob.name not in needed:
                blob.unlink()
                blobs_removed += 1
        return PruneReport(kept, removed, blobs_removed)
