"""Garbage collection of the lake: superseded versions no reader can still be using.

A dataset folder holds immutable versions ``v-<ns>-<pid>.parquet`` and a pointer ``_current``
(``transforms.lake``). A version may go only when all of these hold:

- it is not the one the pointer names;
- no view of the current ``warehouse.duckdb`` names it (the catalog lists files, so until the
  next catalog swap a reader opening the warehouse reads the versions it names);
- it was superseded (its successor written) more than ``grace`` ago: a reader that opened the
  previous catalog before the swap may still be reading it;
- it is not one of the ``keep`` newest superseded versions of its folder.

Stray temporary files of writers that died (``.v-*.tmp``) older than ``grace`` go too.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb

from transforms.lake import CURRENT

VERSION_GLOB = "v-*.parquet"
TEMP_GLOB = ".v-*.tmp"
_STRING = re.compile(r"'((?:[^']|'')*)'")


@dataclass
class Collected:
    """What one pass did: files removed and their bytes, superseded files kept and why."""

    removed: int = 0
    bytes_freed: int = 0
    kept_referenced: int = 0  # named by the current catalog
    kept_in_grace: int = 0  # superseded too recently
    kept_by_count: int = 0  # among the ``keep`` newest superseded
    temp_removed: int = 0
    removed_files: list[Path] = field(default_factory=list)


def catalog_files(warehouse: Path) -> set[Path]:
    """Every Parquet file the views of ``warehouse`` name (empty when it does not exist)."""
    if not warehouse.exists():
        return set()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        views = con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
        texts = [row[0] for row in views]
    finally:
        con.close()
    named = set()
    for sql in texts:
        for literal in _STRING.findall(sql or ""):
            if literal.endswith(".parquet"):
                named.add(Path(literal.replace("''", "'")).resolve())
    return named


def collect(lake: Path, warehouse: Path, *, grace: timedelta, keep: int = 0) -> Collected:
    """Delete the lake files no reader can still use (see the module docstring)."""
    referenced = catalog_files(warehouse)
    cutoff = time.time() - grace.total_seconds()
    done = Collected()
    for pointer in sorted(lake.rglob(CURRENT)):
        _collect_folder(pointer, referenced, cutoff, keep, done)
    for stray in lake.rglob(TEMP_GLOB):
        if _mtime(stray) < cutoff:
            done.bytes_freed += _remove(stray)
            done.temp_removed += 1
    return done


def _collect_folder(
    pointer: Path, referenced: set[Path], cutoff: float, keep: int, done: Collected
) -> None:
    live = pointer.read_text().strip()
    versions = sorted(pointer.parent.glob(VERSION_GLOB))  # names sort by write time
    superseded = [v for v in versions if v.name != live and v.name < live]
    # when each was superseded: its successor's write time (the pointer for the last one)
    successors = {v: (versions[i + 1] if i + 1 < len(versions) else pointer)
                  for i, v in enumerate(versions)}  # fmt: skip
    protected_by_count = set(superseded[-keep:]) if keep > 0 else set()
    for version in versions:
        if version.name == live or version.name > live:
            continue  # the current one, or one being published right now
        if version.resolve() in referenced:
            done.kept_referenced += 1
        elif version in protected_by_count:
            done.kept_by_count += 1
        elif _mtime(successors[version]) >= cutoff:
            done.kept_in_grace += 1
        else:
            done.bytes_freed += _remove(version)
            done.removed += 1
            done.removed_files.append(version)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()  # gone meanwhile: count it as new, so nothing is removed for it


def _remove(path: Path) -> int:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return 0
    return size
