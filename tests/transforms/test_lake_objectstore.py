"""The lake in object storage (a real S3 API server on the loopback, ``tests/s3.py``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from tests.s3 import S3Server
from transforms.catalog import file_list, publish_snapshot, snapshot_connection
from transforms.lake import current_file, current_files, publish
from transforms.objectstore import location, register

ROWS = 50  # rows of every version written below
GENERATIONS = 12


def _generation(g: int) -> pa.Table:
    return pa.table({"gen": [g] * ROWS, "row": list(range(ROWS))})


def test_published_versions_read_back_through_duckdb(s3_server: S3Server, s3_bucket: str) -> None:
    """Two versions of a dataset in a bucket: the pointer names the second, the first stays
    (immutable), and DuckDB reads them through the registered filesystem."""
    lake = location(f"s3://{s3_bucket}/lake", s3_server.config())
    assert not isinstance(lake, Path)
    first = publish(lake / "t", _generation(1))
    second = publish(lake / "t", _generation(2))
    assert current_file(lake / "t") == second
    assert current_files(lake) == [second]
    import duckdb

    con = register(duckdb.connect(), lake)
    assert con.execute(f"SELECT max(gen), count(*) FROM read_parquet('{second}')").fetchone() == (
        2,
        ROWS,
    )
    assert con.execute(f"SELECT max(gen) FROM read_parquet('{first}')").fetchone() == (1,)
    assert str(second).startswith(f"s3://{s3_bucket}/lake/t/v-")


def _publish_generations(lake: object, done: threading.Event, errors: list[BaseException]) -> None:
    try:
        for g in range(1, GENERATIONS + 1):
            publish(lake / "a", _generation(g))  # type: ignore[operator]
            publish(lake / "b", _generation(g))  # type: ignore[operator]
            views = {
                name: f"CREATE VIEW {name} AS SELECT * FROM read_parquet({file_list(lake, name)})"  # type: ignore[arg-type]
                for name in ("a", "b")
            }
            publish_snapshot(lake, views)  # type: ignore[arg-type]
    except BaseException as error:  # handed to the test's thread
        errors.append(error)
    finally:
        done.set()


def test_reader_never_sees_a_half_published_run(s3_server: S3Server, s3_bucket: str) -> None:
    """A run publishes dataset a, then b, then the snapshot, a dozen times; a reader querying
    all the while always finds a and b from the same run, and never goes back in time."""
    lake = location(f"s3://{s3_bucket}/lake", s3_server.config())
    done, errors = threading.Event(), []
    writer = threading.Thread(target=_publish_generations, args=(lake, done, errors))
    writer.start()
    seen: list[int] = []
    try:
        while not done.is_set() or not seen:
            try:
                con = snapshot_connection(lake)
            except FileNotFoundError:
                continue  # nothing published yet
            try:
                row = con.execute(
                    "SELECT (SELECT max(gen) FROM a), (SELECT max(gen) FROM b), "
                    "(SELECT count(*) FROM a), (SELECT count(*) FROM b)"
                ).fetchone()
            finally:
                con.close()
            assert row is not None
            gen_a, gen_b, rows_a, rows_b = row
            assert (gen_a, rows_a, rows_b) == (gen_b, ROWS, ROWS), row
            assert not seen or gen_a >= seen[-1]
            seen.append(gen_a)
    finally:
        writer.join()
    assert not errors, errors
    assert len(set(seen)) >= 2, f"the reader saw one run only ({set(seen)}): no overlap tested"
    final = snapshot_connection(lake)
    assert final.execute("SELECT max(gen) FROM b").fetchone() == (GENERATIONS,)


def test_a_bucketless_url_is_refused() -> None:
    """``s3://`` with no bucket is a configuration error naming the URL."""
    with pytest.raises(ValueError, match="no bucket"):
        location("s3:///lake")
