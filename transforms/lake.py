"""The lake: Parquet tables under ``$CVD_HOME/lake``, written as immutable versions.

A dataset (one arrival day of a raw table, one master table, one mart bucket) is a folder of
version files ``v-<token>.parquet`` and a pointer ``_current`` naming the live one. A writer adds
a new version, then moves the pointer (an atomic rename): a file is never changed after it is
written, so a reader that is part way through an old version is never disturbed. Versions that
are no longer current are deleted once no reader can still use them (``transforms.lake_gc``).

Raw tables are partitioned by arrival day, hive style: ``lake/<table>/received_date=D/``.

The lake may also be a prefix in object storage (``s3://bucket/prefix``, a
:class:`upath.UPath` over an fsspec filesystem, see :mod:`transforms.objectstore`). Nothing is
renamed there: a version is one PUT under a key never used before (an object appears whole or
not at all), and the pointer is one PUT written after it, so the protocol is the same.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

# A local folder, or a prefix in object storage: every function here takes either.
Location = Path | UPath

CURRENT = "_current"
LEGACY_FILE = "part.parquet"
RETENTION = timedelta(hours=1)  # how long a replaced version stays for readers still on it


def is_remote(path: Location) -> bool:
    """Whether ``path`` is in object storage (not on a local file system)."""
    return not isinstance(path, Path)


def atomic_write_bytes(
    path: Location, data: bytes, *, durable: bool = True, exclusive: bool = False
) -> bool:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.
    ``durable=False`` leaves the fsync to the caller (who syncs a whole batch at once).
    ``exclusive=True`` creates ``path`` only if no file has that name (a hard link, which fails
    if the name exists, so of several concurrent writers exactly one wins). Returns whether
    ``path`` was written. In object storage a PUT is atomic and durable once answered, and
    ``exclusive`` is a conditional PUT (``If-None-Match: *``)."""
    if not isinstance(path, Path):
        return _put_object(path, data, exclusive=exclusive)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if not exclusive:
            Path(tmp).replace(path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink()
        return True
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _put_object(path: UPath, data: bytes, *, exclusive: bool) -> bool:
    if not exclusive:
        path.write_bytes(data)
        return True
    try:
        with path.fs.open(path.path, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        return False
    return True


def read_object(path: Location) -> bytes:
    """The whole content of a small file (a pointer, a manifest). In object storage one GET:
    opening it as a file would check its ETag between requests, and a pointer replaced in
    between would fail the read instead of giving the old or the new content."""
    if isinstance(path, Path):
        return path.read_bytes()
    data: bytes = path.fs.cat_file(path.path)
    return data


def read_text(path: Location) -> str:
    """:func:`read_object` decoded as UTF-8."""
    return read_object(path).decode()


def atomic_write_json(
    path: Location, doc: Any, *, durable: bool = True, exclusive: bool = False
) -> bool:
    """Atomically write ``doc`` as pretty JSON (see :func:`atomic_write_bytes`)."""
    text = json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n"
    return atomic_write_bytes(path, text.encode(), durable=durable, exclusive=exclusive)


def write_table(path: Location, table: pa.Table) -> None:
    """Atomically write ``table`` as Parquet at ``path`` (in object storage: one upload,
    which becomes visible only when complete)."""
    if not isinstance(path, Path):
        with path.fs.open(path.path, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(directory: Location, table: pa.Table) -> Location:
    """Write ``table`` as a new version in ``directory`` and make it the current one."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.time_ns():020d}-{os.getpid()}.parquet"
    write_table(directory / name, table)
    atomic_write_bytes(directory / CURRENT, name.encode())
    return directory / name


def current_file(directory: Location) -> Location | None:
    """The live version of the dataset in ``directory``, or None if it has none."""
    pointer = directory / CURRENT
    try:
        return directory / read_text(pointer).strip()
    except FileNotFoundError:
        return None


def current_files(root: Location) -> list[Location]:
    """The live version of every dataset below ``root`` (a table), in path order. A folder
    holding a single ``part.parquet`` and no pointer (written whole, e.g. by a test fixture)
    counts as a dataset whose live version is that file."""
    live = {p.parent / read_text(p).strip() for p in root.rglob(CURRENT)}
    pointed = {f.parent for f in live}
    live |= {f for f in root.rglob(LEGACY_FILE) if f.parent not in pointed}
    return sorted(live, key=str)


def partition_dir(lake: Location, table: str, day: str) -> Location:
    """The folder of the arrival-day partition ``day`` (YYYY-MM-DD) of ``table``."""
    return lake / table / f"received_date={day}"


def partition_path(lake: Location, table: str, day: str) -> Location:
    """The live file of a partition (to read); where none exists yet, the single-file path a
    fixture may write whole with :func:`write_table`."""
    directory = partition_dir(lake, table, day)
    return current_file(directory) or directory / LEGACY_FILE


def schema_path(lake: Location, table: str) -> Location:
    """An empty file with the table's schema, so that views work before any data arrives."""
    return lake / table / "_schema.parquet"


def read_schema(path: Location) -> pa.Schema:
    """The schema of the Parquet file at ``path`` (read from its footer only)."""
    if isinstance(path, Path):
        return pq.read_schema(path)
    with path.open("rb") as handle:
        return pq.read_schema(handle)


def matching(folder: Location, pattern: str) -> list[Location]:
    """The entries of ``folder`` whose names match the glob ``pattern``, in name order."""
    found: list[Location] = []
    if isinstance(folder, Path) or folder.exists():
        found.extend(folder.glob(pattern))
    return sorted(found, key=str)


def read_table(path: Location) -> pa.Table:
    """The Parquet file at ``path`` as an Arrow table."""
    if isinstance(path, Path):
        return pq.read_table(path)
    with path.open("rb") as handle:
        return pq.read_table(handle)


def arrow_schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    """``pa.schema`` of (name, type) pairs. Typed so that a list literal of mixed arrow types
    checks: in the pyarrow stubs each type is generic, and a bare list of them joins to
    ``object``."""
    return pa.schema(fields)


def write_schema_file(lake: Location, table: str, schema: pa.Schema) -> None:
    """Write the zero-row schema file of ``table`` if it is missing or out of date."""
    path = schema_path(lake, table)
    if path.exists() and read_schema(path).equals(schema):
        return
    write_table(path, schema.empty_table())
