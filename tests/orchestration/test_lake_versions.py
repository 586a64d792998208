"""Lake datasets are immutable versions behind a pointer; old versions go after retention."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from transforms.lake import current_file, current_files, publish
from transforms.lake_gc import collect


def test_publish_never_changes_a_written_file_and_gc_keeps_the_live_one(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "received_date=2026-01-01"
    first = publish(folder, pa.table({"x": [1]}))
    before = first.read_bytes()
    second = publish(folder, pa.table({"x": [2, 3]}))
    assert first != second and first.read_bytes() == before  # the old version is untouched
    assert current_file(folder) == second
    assert current_files(tmp_path / "t") == [second]
    none = tmp_path / "none.duckdb"  # no catalog: only the pointers protect
    assert collect(tmp_path, none, grace=timedelta(hours=1)).removed == 0  # too recent to go
    old = time.time() - 7200
    for path in (first, second, folder / "_current"):  # replaced two hours ago
        os.utime(path, (old, old))
    assert collect(tmp_path, none, grace=timedelta(hours=1)).removed == 1
    assert not first.exists() and second.exists()
