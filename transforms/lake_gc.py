"""Garbage collection of the lake: superseded versions no reader can still be using.

A dataset folder holds immutable versions ``v-<ns>-<pid>.parquet`` and a pointer ``_current``
(``transforms.lake``). A version may go only when all of these hold:

- it is not the one the pointer names, nor newer (a version being published right now);
- no view of the current ``warehouse.duckdb`` names it (the catalog lists files, so until the
  next catalog swap a reader opening the warehouse reads the versions it names), nor the latest
  catalog snapshot in the lake (``_catalog/_latest``, what a reader on another machine opens);
- in object storage, no snapshot that was the latest within ``grace`` names it either: readers
  on other machines start from the snapshot, and one that opened the previous snapshot shortly
  before the swap may still be reading the versions it names (on a local lake every reader opens
  ``warehouse.duckdb``, whose previous builds the next rule covers). A ``warehouse.duckdb`` on
  another machine is not seen: readers there open the snapshot, or have it rebuilt within
  ``grace`` (a catalog build publishes both);
- it was superseded (its successor written) more than ``grace`` ago: a reader that opened the
  previous catalog before the swap may still be reading it;
- it is not one of the ``keep`` newest superseded versions of its folder.

Catalog snapshots ``_catalog/v-*.json`` go too once they stopped being the latest more than
``grace`` ago (a reader that read the pointer just before the swap still fetches the one it
named), and so do stray temporary files of writers that died (``.v-*.tmp``) older than
``grace``.

Ages come from one listing of the lake: file modification times on a local disk, the objects'
``LastModified`` in object storage. That stamp has whole-second resolution (truncated), so an
object stamped in the same second as the cutoff counts as not older: it may have been written
after it.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path

import duckdb

from transforms.catalog import SNAPSHOT_DIR, SNAPSHOT_POINTER
from transforms.lake import CURRENT, Location, is_remote, read_text
from transforms.objectstore import is_object_url, uri

VERSION_GLOB = "v-*.parquet"
TEMP_GLOB = ".v-*.tmp"
SNAPSHOT_GLOB = "v-*.json"
_STRING = re.compile(r"'((?:[^']|'')*)'")
_LISTED = (VERSION_GLOB, TEMP_GLOB, SNAPSHOT_GLOB, CURRENT, SNAPSHOT_POINTER)


class SnapshotError(ValueError):
    """A catalog snapshot that cannot be read, so what it names is unknown (nothing removed)."""


@dataclass
class Collected:
    """What one pass did: files removed and their bytes, superseded files kept and why."""

    removed: int = 0
    bytes_freed: int = 0  # versions, snapshots and temporary files together
    kept_referenced: int = 0  # named by the current catalog or a snapshot readers may be on
    kept_in_grace: int = 0  # superseded too recently
    kept_by_count: int = 0  # among the ``keep`` newest superseded
    temp_removed: int = 0
    snapshots_removed: int = 0  # catalog snapshots no reader can still open
    removed_files: list[Location] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    """One file of the lake as the listing saw it: path below the lake, write time, size."""

    key: str  # relative, '/'-separated
    modified: float  # seconds since the epoch
    size: int

    @property
    def folder(self) -> str:
        return self.key.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.key.rpartition("/")[2]


def catalog_files(warehouse: Path) -> set[Path]:
    """Every local Parquet file the views of ``warehouse`` name (empty when it does not
    exist)."""
    return {Path(name).resolve() for name in _warehouse_names(warehouse)}


def named_files(sql: Iterable[str]) -> set[str]:
    """The Parquet files (local paths or ``s3://`` URIs, as written) that SQL texts name."""
    named = set()
    for text in sql:
        for literal in _STRING.findall(text or ""):
            if literal.endswith(".parquet"):
                named.add(literal.replace("''", "'"))
    return named


def _warehouse_names(warehouse: Path) -> set[str]:
    if not warehouse.exists():
        return set()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        views = con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
    finally:
        con.close()
    return named_files(row[0] for row in views)


def collect(
    lake: Location,
    warehouse: Path,
    *,
    grace: timedelta,
    keep: int = 0,
    now: datetime | None = None,
) -> Collected:
    """Delete the lake files no reader can still use (see the module docstring). ``lake`` is a
    local folder or a prefix in object storage; ``warehouse`` is this machine's catalog file
    (it may not exist); ``now`` is the instant ages are judged at (default: the clock)."""
    cutoff = (now or datetime.now(UTC)).timestamp() - grace.total_seconds()
    if is_remote(lake):
        cutoff = math.floor(cutoff)  # LastModified is truncated to the second
    listing = _listing(lake)
    folders: dict[str, list[_Entry]] = defaultdict(list)
    for entry in listing:
        folders[entry.folder].append(entry)
    done = Collected()
    base = uri(lake)
    referenced = {_canonical(name) for name in _warehouse_names(warehouse)}
    doomed = _collect_snapshots(lake, folders.pop(SNAPSHOT_DIR, []), cutoff, referenced, done)
    for folder in sorted(folders):
        doomed += _collect_folder(
            lake,
            folders[folder],
            base=base,
            referenced=referenced,
            cutoff=cutoff,
            keep=keep,
            done=done,
        )
    for stray in listing:  # the snapshots' folder included (their writers' temporary files)
        if fnmatchcase(stray.name, TEMP_GLOB) and stray.modified < cutoff:
            doomed.append(stray)
            done.temp_removed += 1
    done.bytes_freed += _remove(lake, doomed)
    return done


def _listing(lake: Location) -> list[_Entry]:
    """Every file below ``lake`` that the collection looks at, in one walk (in object storage,
    one paginated listing of the prefix rather than a request per file)."""
    found: list[_Entry] = []
    if isinstance(lake, Path):
        for path in lake.rglob("*"):
            if not any(fnmatchcase(path.name, pattern) for pattern in _LISTED):
                continue
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # removed meanwhile
            if stat.S_ISREG(info.st_mode):
                key = path.relative_to(lake).as_posix()
                found.append(_Entry(key, info.st_mtime, info.st_size))
        return found
    root = lake.path.rstrip("/")
    for name, info in lake.fs.find(root, detail=True).items():
        key = name.removeprefix(root + "/")
        listed = any(fnmatchcase(key.rpartition("/")[2], pattern) for pattern in _LISTED)
        if info.get("type") == "file" and listed:
            found.append(_Entry(key, info["LastModified"].timestamp(), int(info["size"])))
    return found


def _collect_snapshots(
    lake: Location, entries: list[_Entry], cutoff: float, referenced: set[str], done: Collected
) -> list[_Entry]:
    """The snapshots no reader can still open; adds the versions that the others name to
    ``referenced`` (all of them in object storage; on a local disk the latest only)."""
    pointer = next((e for e in entries if e.name == SNAPSHOT_POINTER), None)
    snapshots = sorted((e for e in entries if fnmatchcase(e.name, SNAPSHOT_GLOB)), key=_by_name)
    latest = read_text(lake / pointer.key).strip() if pointer is not None else None
    doomed: list[_Entry] = []
    for i, snapshot in enumerate(snapshots):
        if latest is None or snapshot.name >= latest:
            readable, protects = True, True  # the latest, or one being published right now
        else:
            successor = snapshots[i + 1]
            # it stopped being the latest when the pointer moved off it
            replaced = pointer if successor.name == latest and pointer else successor
            readable = replaced.modified >= cutoff
            protects = readable and is_remote(lake)
        if not readable:
            doomed.append(snapshot)
            done.snapshots_removed += 1
        elif protects:
            referenced.update(_canonical(name) for name in _snapshot_names(lake / snapshot.key))
    return doomed


def _snapshot_names(path: Location) -> set[str]:
    try:
        doc = json.loads(read_text(path))
        views = doc["views"].values()
    except FileNotFoundError:
        return set()  # removed meanwhile by another pass: no reader can open it any more
    except (ValueError, KeyError, AttributeError) as error:
        raise SnapshotError(
            f"{uri(path)}: catalog snapshot unreadable ({error}); nothing collected"
        ) from error
    return named_files(views)


def _collect_folder(
    lake: Location,
    entries: list[_Entry],
    *,
    base: str,
    referenced: set[str],
    cutoff: float,
    keep: int,
    done: Collected,
) -> list[_Entry]:
    pointer = next((e for e in entries if e.name == CURRENT), None)
    if pointer is None:
        return []  # no dataset (a table's folder of partitions, or the lake root)
    try:
        live = read_text(lake / pointer.key).strip()
    except FileNotFoundError:
        return []  # removed meanwhile: nothing is known about this folder
    versions = sorted((e for e in entries if fnmatchcase(e.name, VERSION_GLOB)), key=_by_name)
    superseded = [v for v in versions if v.name < live]  # names sort by write time
    # when each was superseded: its successor's write time (the pointer for the last one)
    successors = {v.name: (versions[i + 1] if i + 1 < len(versions) else pointer)
                  for i, v in enumerate(versions)}  # fmt: skip
    protected_by_count = {v.name for v in superseded[-keep:]} if keep > 0 else set()
    doomed: list[_Entry] = []
    for version in superseded:
        if f"{base}/{version.key}" in referenced:
            done.kept_referenced += 1
        elif version.name in protected_by_count:
            done.kept_by_count += 1
        elif successors[version.name].modified >= cutoff:
            done.kept_in_grace += 1
        else:
            doomed.append(version)
            done.removed += 1
            done.removed_files.append(lake / version.key)
    return doomed


def _by_name(entry: _Entry) -> str:
    return entry.name


def _canonical(name: str) -> str:
    """A file name as :func:`transforms.objectstore.uri` writes it for a file of the lake."""
    return name if is_object_url(name) else Path(name).resolve().as_posix()


def _remove(lake: Location, doomed: list[_Entry]) -> int:
    """Delete ``doomed``; returns the bytes freed. In object storage one batched request per
    thousand keys; a file already gone (another pass) is no error."""
    if not doomed:
        return 0
    if isinstance(lake, Path):
        freed = 0
        for entry in doomed:
            try:
                (lake / entry.key).unlink()
            except FileNotFoundError:
                continue
            freed += entry.size
        return freed
    root = lake.path.rstrip("/")
    lake.fs.rm([f"{root}/{entry.key}" for entry in doomed])
    return sum(entry.size for entry in doomed)
