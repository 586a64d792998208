"""Lake garbage collection (issue 22): after several runs the superseded versions go, the
warehouse answers every view as before, and a version the current catalog names survives.

Runs on a copy of the shared materialized demo home's lake (``tests/platform_home.py``)."""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.platform_home import PlatformHome
from transforms.catalog import (
    CATALOG,
    SNAPSHOT_DIR,
    SNAPSHOT_POINTER,
    build_catalog,
    file_list,
    publish_snapshot,
)
from transforms.lake import CURRENT, current_file, publish
from transforms.lake_gc import SnapshotError, catalog_files, collect

DAY = 24 * 3600


def _answers(warehouse: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
                for _, name in CATALOG}  # fmt: skip
    finally:
        con.close()


def _rerun(lake: Path) -> None:
    """What a run does to each dataset: a new version with the same rows, pointer moved."""
    for pointer in sorted(lake.rglob(CURRENT)):
        live = current_file(pointer.parent)
        assert live is not None
        publish(pointer.parent, pq.read_table(live))


def _age(paths: list[Path], seconds: float) -> None:
    when = time.time() - seconds
    for path in paths:
        os.utime(path, (when, when))


def _versions(lake: Path) -> list[Path]:
    return sorted(lake.rglob("v-*.parquet"))


def test_gc_frees_old_versions_and_the_warehouse_answers_as_before(
    platform_home: PlatformHome, tmp_path: Path
) -> None:
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    shutil.copytree(platform_home.home / "lake", lake)
    build_catalog(lake, warehouse)
    expected = _answers(warehouse)
    datasets = sorted(p.parent for p in lake.rglob(CURRENT))
    assert len(datasets) > 10
    for _ in range(3):  # three more runs, each swapping in a new catalog
        _rerun(lake)
        build_catalog(lake, warehouse)
    # one dataset rewritten once more after the last catalog swap: the catalog names its previous
    # version until the next swap
    pinned_folder = datasets[0]
    pinned = current_file(pinned_folder)
    publish(pinned_folder, pq.read_table(pinned))
    assert pinned in catalog_files(warehouse) and current_file(pinned_folder) != pinned
    before = _versions(lake)
    assert len(before) >= 4 * len(datasets) + 1  # the copied one, three runs, one more

    # everything written just now: all within a day's grace, nothing goes
    fresh = collect(lake, warehouse, grace=timedelta(days=1))
    assert fresh.removed == 0 and _versions(lake) == before

    _age([*before, *lake.rglob(CURRENT)], 2 * DAY)
    done = collect(lake, warehouse, grace=timedelta(days=1))

    after = _versions(lake)
    live = {current_file(folder) for folder in datasets}
    assert set(after) == live | {pinned}  # only the current versions and the one still named
    assert done.removed == len(before) - len(after) and done.kept_referenced == 1
    assert done.bytes_freed > 0
    assert _answers(warehouse) == expected


def test_keep_spares_the_newest_superseded_versions(tmp_path: Path) -> None:
    folder = tmp_path / "lake" / "t"
    written = [publish(folder, pa.table({"x": [n]})) for n in range(4)]
    _age([*written, folder / CURRENT], 2 * DAY)
    done = collect(tmp_path / "lake", tmp_path / "none.duckdb", grace=timedelta(hours=1), keep=1)
    assert (done.removed, done.kept_by_count) == (2, 1)
    assert _versions(tmp_path / "lake") == written[2:]


def test_a_version_written_long_ago_but_replaced_just_now_stays_for_its_readers(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "lake" / "t"
    old = publish(folder, pa.table({"x": [1]}))
    _age([old, folder / CURRENT], 2 * DAY)  # written two days ago, current until now
    publish(folder, pa.table({"x": [2]}))
    done = collect(tmp_path / "lake", tmp_path / "none.duckdb", grace=timedelta(hours=1))
    assert done.removed == 0 and done.kept_in_grace == 1 and old.exists()


def _snapshot_of(lake: Path) -> Path:
    """A catalog snapshot of one view over the live version of dataset t."""
    return Path(
        publish_snapshot(lake, {"t": f"SELECT * FROM read_parquet({file_list(lake, 't')})"})
    )


def test_old_snapshots_go_and_the_latest_keeps_what_it_names(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = publish(lake / "t", pa.table({"x": [1]}))
    old_snapshots = [_snapshot_of(lake), _snapshot_of(lake)]
    latest = _snapshot_of(lake)  # names the first version
    second = publish(lake / "t", pa.table({"x": [2]}))
    third = publish(lake / "t", pa.table({"x": [3]}))
    _age(
        [*lake.rglob("v-*"), *lake.rglob(CURRENT), lake / SNAPSHOT_DIR / SNAPSHOT_POINTER], 2 * DAY
    )

    done = collect(lake, tmp_path / "none.duckdb", grace=timedelta(hours=1))

    assert (done.removed, done.kept_referenced, done.snapshots_removed) == (1, 1, 2)
    assert _versions(lake) == [first, third] and not second.exists()
    assert sorted((lake / SNAPSHOT_DIR).glob("v-*.json")) == [latest]
    assert not any(path.exists() for path in old_snapshots)


def test_an_unreadable_snapshot_stops_the_pass_naming_it(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    publish(lake / "t", pa.table({"x": [1]}))
    latest = _snapshot_of(lake)
    latest.write_text("{not json")
    publish(lake / "t", pa.table({"x": [2]}))
    _age([*lake.rglob("v-*"), *lake.rglob(CURRENT)], 2 * DAY)
    before = _versions(lake)

    with pytest.raises(SnapshotError, match=re.escape(latest.as_posix())):
        collect(lake, tmp_path / "none.duckdb", grace=timedelta(hours=1))
    assert _versions(lake) == before  # what it names is unknown: nothing removed
