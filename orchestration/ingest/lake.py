"""The lake: Parquet tables under ``$CVD_HOME/lake``, written atomically.

Raw tables are partitioned by arrival day, hive style:
``lake/<table>/received_date=D/part.parquet``.
A partition is always rewritten whole (temp file + rename), so a rerun replaces, never appends.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

PARTITION_FILE = "part.parquet"


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.
    ``durable=False`` leaves the fsync to the caller (who syncs a whole batch at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, doc: Any, *, durable: bool = True) -> None:
    """Atomically write ``doc`` as pretty JSON."""
    text = json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write_bytes(path, text.encode(), durable=durable)


def write_table(path: Path, table: pa.Table) -> None:
    """Atomically write ``table`` as Parquet at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def partition_path(lake: Path, table: str, day: str) -> Path:
    """Where the arrival-day partition ``day`` (YYYY-MM-DD) of ``table`` lives."""
    return lake / table / f"received_date={day}" / PARTITION_FILE


def schema_path(lake: Path, table: str) -> Path:
    """An empty file with the table's schema, so that views work before any data arrives."""
    return lake / table / "_schema.parquet"


def write_schema_file(lake: Path, table: str, schema: pa.Schema) -> None:
    """Write the zero-row schema file of ``table`` if it is missing or out of date."""
    path = schema_path(lake, table)
    if path.exists() and pq.read_schema(path).equals(schema):
        return
    write_table(path, schema.empty_table())
