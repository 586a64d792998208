"""Lake garbage collection in object storage (a real S3 API server on the loopback,
``tests/s3.py``): superseded versions past the grace period go, while the live ones, those the
latest catalog snapshot names and those a snapshot readers may still be on names stay, and a
reader answers exactly as before.

Ages come from the objects' ``LastModified`` (whole seconds). The lake is written in two
phases a second apart, and ``collect`` is asked to judge ages as of an instant chosen from
those stamps (``now``), so no test waits out a grace period."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from tests.s3 import S3Server
from transforms.catalog import (
    SNAPSHOT_DIR,
    SNAPSHOT_POINTER,
    file_list,
    open_warehouse,
    publish_snapshot,
    snapshot_connection,
)
from transforms.lake import Location, current_file, publish, write_table
from transforms.lake_gc import collect
from transforms.objectstore import location, register

ROWS = 20
Answers = dict[str, list[tuple[object, ...]]]


def _generation(g: int) -> pa.Table:
    return pa.table({"gen": [g] * ROWS, "row": list(range(ROWS))})


def _rows(g: int) -> list[tuple[object, ...]]:
    """What a view over generation ``g`` answers, worked out from what was written."""
    return [(g, r) for r in range(ROWS)]


def _view(lake: Location, name: str) -> str:
    return f"CREATE VIEW {name} AS SELECT * FROM read_parquet({file_list(lake, name)})"


def _snapshot(lake: Location) -> Location:
    """What a run's catalog build publishes: views over the live versions of a and b."""
    return publish_snapshot(lake, {name: _view(lake, name) for name in ("a", "b")})


def _answers(con: duckdb.DuckDBPyConnection) -> Answers:
    return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in "ab"}


def _keys(lake: Location, pattern: str) -> set[str]:
    return {str(p) for p in lake.rglob(pattern)}


def _modified(path: Location) -> float:
    return float(path.stat().st_mtime)  # LastModified, in whole seconds


def _next_second() -> None:
    """Wait into the next whole second, so the next objects' LastModified is later."""
    time.sleep(1.05 - time.time() % 1)


def test_superseded_versions_go_and_readers_of_recent_snapshots_keep_theirs(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    lake = location(f"s3://{s3_bucket}/lake", s3_server.config())
    no_warehouse = tmp_path / "warehouse.duckdb"  # this machine built no catalog
    # phase 0: runs long past
    a1, b1 = publish(lake / "a", _generation(1)), publish(lake / "b", _generation(1))
    s1 = _snapshot(lake)
    a2, b2 = publish(lake / "a", _generation(2)), publish(lake / "b", _generation(2))
    _snapshot(lake)
    on_s2 = snapshot_connection(lake)  # a reader on the second run's snapshot
    a3 = publish(lake / "a", _generation(3))
    c1 = publish(lake / "c", _generation(1))  # a dataset no snapshot names
    old = max(_modified(p) for p in (a1, b1, s1, a2, b2, a3, c1))
    _next_second()
    # phase 1: runs within the grace period
    b3 = publish(lake / "b", _generation(3))
    _snapshot(lake)
    on_s3 = snapshot_connection(lake)
    a4, b4 = publish(lake / "a", _generation(4)), publish(lake / "b", _generation(4))
    _snapshot(lake)  # the latest: names a4, b4
    a5 = publish(lake / "a", _generation(5))  # after the latest snapshot
    c2 = publish(lake / "c", _generation(2))
    # a version being published: written, pointer not moved yet
    pending = lake / "c" / "v-99999999999999999999-1.parquet"
    write_table(pending, _generation(3))
    recent = min(_modified(p) for p in (b3, a4, b4, a5, c2, pending))
    assert recent > old, "the two phases share a LastModified second: nothing to tell apart"
    before = {
        "s2": _answers(on_s2),
        "s3": _answers(on_s3),
        "latest": _answers(snapshot_connection(lake)),
    }
    assert before == {
        "s2": {"a": _rows(2), "b": _rows(2)},
        "s3": {"a": _rows(3), "b": _rows(3)},
        "latest": {"a": _rows(4), "b": _rows(4)},
    }

    # an hour's grace, judged an hour after phase 1: phase 0 is past it, phase 1 (stamped in
    # the cutoff's own second) is not
    first = collect(
        lake,
        no_warehouse,
        grace=timedelta(hours=1),
        now=datetime.fromtimestamp(recent, UTC) + timedelta(hours=1),
    )
    assert {str(p) for p in first.removed_files} == {str(a1), str(b1)}
    # a2, b2: the second snapshot was the latest until phase 1; a3, b3: the third snapshot;
    # a4: the latest snapshot
    assert (first.removed, first.kept_referenced, first.kept_in_grace) == (2, 5, 1)
    assert first.snapshots_removed == 1 and not s1.exists()
    assert first.bytes_freed > 0
    assert _keys(lake, "v-*.parquet") == {
        str(p) for p in (a2, a3, a4, a5, b2, b3, b4, c1, c2, pending)
    }
    assert _answers(on_s2) == before["s2"] and _answers(on_s3) == before["s3"]
    assert _answers(snapshot_connection(lake)) == before["latest"]

    # no grace, judged after phase 1; one superseded version kept per dataset
    later = datetime.fromtimestamp(recent, UTC) + timedelta(seconds=2)
    second = collect(lake, no_warehouse, grace=timedelta(0), keep=1, now=later)
    assert {str(p) for p in second.removed_files} == {str(a2), str(a3), str(b2)}
    assert (second.kept_referenced, second.kept_by_count, second.snapshots_removed) == (1, 2, 2)
    snapshots = lake / SNAPSHOT_DIR
    latest = (snapshots / SNAPSHOT_POINTER).read_text().strip()
    assert {p.name for p in snapshots.glob("v-*.json")} == {latest}

    third = collect(lake, no_warehouse, grace=timedelta(0), now=later)
    assert {str(p) for p in third.removed_files} == {str(b3), str(c1)}
    assert _keys(lake, "v-*.parquet") == {str(p) for p in (a4, a5, b4, c2, pending)}
    assert [current_file(lake / d) for d in "abc"] == [a5, b4, c2]
    assert _answers(snapshot_connection(lake)) == before["latest"]


def test_a_version_this_machines_warehouse_names_stays(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """On a bucket lake the local ``warehouse.duckdb`` is honoured too: its readers open it
    (``open_warehouse``), not the snapshot."""
    lake = location(f"s3://{s3_bucket}/lake", s3_server.config())
    warehouse = tmp_path / "warehouse.duckdb"
    first = publish(lake / "a", _generation(1))
    con = register(duckdb.connect(str(warehouse)), lake)
    con.execute(_view(lake, "a"))  # built while the first version was live
    con.close()
    second = publish(lake / "a", _generation(2))
    publish(lake / "a", _generation(3))
    later = datetime.now(UTC) + timedelta(seconds=2)

    done = collect(lake, warehouse, grace=timedelta(0), now=later)

    assert [str(p) for p in done.removed_files] == [str(second)]
    assert done.kept_referenced == 1 and first.exists()
    reader = open_warehouse(warehouse, lake)
    assert reader.execute("SELECT * FROM a ORDER BY ALL").fetchall() == _rows(1)
