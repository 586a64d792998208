"""Ask CVD with the lake in object storage (a real S3 API server on the loopback, tests/s3.py):
the sandbox reads the lake's prefix through a registered filesystem and nothing else, neither a
local file nor another prefix or bucket, and writes nowhere.

The bucket lake is the shared demo home's lake copied into a bucket, its catalog rebuilt there
(``build_catalog``), so every answer can be checked against the same query on the local lake."""

from __future__ import annotations

import io
import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from models.ask.guard import CheckedQuery, check_query
from models.ask.runner import QueryFailedError, run_query, sandboxed_connection
from tests.models.ask.support import direct, warehouse
from tests.orchestration.pipeline import cvd
from tests.platform_home import PlatformHome
from tests.s3 import S3Server
from transforms.catalog import build_catalog
from transforms.confined_store import ConfinedFileSystem
from transforms.lake import Location
from transforms.objectstore import location

_names = itertools.count(1)
QUERIES = [
    "SELECT product_id, name FROM products ORDER BY product_id",
    "SELECT machine_serial, count(*) AS n, sum(units_sold) AS units, sum(revenue) AS revenue"
    " FROM fct_daily_sales GROUP BY machine_serial ORDER BY machine_serial",
    # a view over views over views (sales_daily_enriched, fct_daily_sales, devices, products)
    "SELECT * FROM sales_by_route_day ORDER BY ALL",
]


@dataclass(frozen=True)
class BucketLake:
    """The demo lake in ``bucket`` under ``lake/``, a warehouse built over it, and objects the
    sandbox must not read: one beside the lake in the same bucket, one in another bucket."""

    server: S3Server
    bucket: str
    lake: Location
    warehouse: Path
    outside: str  # s3://bucket/secret/....csv
    other_bucket: str  # s3://other/lake/....csv


def _bucket(server: S3Server) -> str:
    name = f"cvd-ask-{os.getpid()}-{next(_names)}"
    server.create_bucket(name)
    return name


@pytest.fixture(scope="module")
def bucket_lake(
    s3_server: S3Server, platform_home: PlatformHome, tmp_path_factory: pytest.TempPathFactory
) -> BucketLake:
    bucket, other = _bucket(s3_server), _bucket(s3_server)
    lake = location(f"s3://{bucket}/lake", s3_server.config())
    assert not isinstance(lake, Path)
    lake.fs.put(f"{platform_home.home / 'lake'}/", f"{bucket}/lake/", recursive=True)
    secret = "secret\n42\n"
    lake.fs.pipe_file(f"{bucket}/secret/numbers.csv", secret.encode())
    lake.fs.pipe_file(f"{bucket}/lake-beside/numbers.csv", secret.encode())
    lake.fs.pipe_file(f"{other}/lake/numbers.csv", secret.encode())
    target = tmp_path_factory.mktemp("ask-bucket") / "warehouse.duckdb"
    build_catalog(lake, target)
    return BucketLake(
        s3_server,
        bucket,
        lake,
        target,
        outside=f"s3://{bucket}/secret/numbers.csv",
        other_bucket=f"s3://{other}/lake/numbers.csv",
    )


def _sandbox(lake: BucketLake) -> Iterator[duckdb.DuckDBPyConnection]:
    con = sandboxed_connection(lake.warehouse, lake.lake)
    try:
        yield con
    finally:
        con.close()


@pytest.fixture
def sandbox(bucket_lake: BucketLake) -> Iterator[duckdb.DuckDBPyConnection]:
    yield from _sandbox(bucket_lake)


def test_the_views_read_the_bucket(bucket_lake: BucketLake) -> None:
    """The warehouse built over the bucket names objects in it, not the local lake."""
    con = duckdb.connect(str(bucket_lake.warehouse), read_only=True)
    try:
        row = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'products'").fetchone()
    finally:
        con.close()
    assert row is not None
    assert f"s3://{bucket_lake.bucket}/lake/" in row[0]


@pytest.mark.parametrize("sql", QUERIES)
def test_a_guarded_query_on_the_bucket_lake_answers_as_on_the_local_lake(
    bucket_lake: BucketLake, platform_home: PlatformHome, sql: str
) -> None:
    checked = check_query(sql, warehouse(platform_home.home).views)
    frame = run_query(checked, bucket_lake.warehouse, bucket_lake.lake).frame
    expected = direct(platform_home.home, sql)  # the local lake, opened the plain way
    assert expected
    assert [tuple(row) for row in frame.itertuples(index=False)] == expected


def test_a_query_copies_only_the_views_it_reads(bucket_lake: BucketLake) -> None:
    """Creating a view reads its files' footers (requests to the store): a query on the route
    rollup gets that view and the views below it, not the raw DEX tables."""
    con = sandboxed_connection(
        bucket_lake.warehouse, bucket_lake.lake, only=frozenset({"sales_by_route_day"})
    )
    try:
        rows = con.execute("SELECT view_name FROM duckdb_views()").fetchall()
        assert con.execute("SELECT count(*) FROM sales_by_route_day").fetchone()[0] > 0
    finally:
        con.close()
    copied = {name for (name,) in rows}
    below = {"sales_by_route_day", "sales_daily_enriched", "fct_daily_sales", "devices", "products"}
    assert below <= copied
    assert not copied & {"dex_reads", "dex_files", "dex_events", "fct_stockouts"}


def test_cvd_ask_sql_runs_on_the_bucket_lake(
    bucket_lake: BucketLake,
    platform_home: PlatformHome,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`cvd ask --sql` in a home whose settings put the lake in the bucket (CVD_LAKE_URL and the
    AWS_* variables, as deploy/docker-compose.yml sets them)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(bucket_lake.warehouse, home / "warehouse.duckdb")
    shutil.copy(platform_home.home / "cvd.sqlite", home / "cvd.sqlite")
    monkeypatch.setenv("CVD_HOME", str(home))
    monkeypatch.setenv("CVD_DATABASE_URL", f"sqlite:///{home / 'cvd.sqlite'}")
    monkeypatch.setenv("CVD_LAKE_URL", f"s3://{bucket_lake.bucket}/lake")
    for name, value in bucket_lake.server.env().items():
        monkeypatch.setenv(name, value)
    sql = QUERIES[0]
    capsys.readouterr()
    assert cvd("ask", "--sql", sql, "--csv", "--home", str(home)) == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str)
    expected = direct(platform_home.home, sql)
    assert [tuple(row) for row in got.itertuples(index=False)] == [
        tuple(str(v) for v in row) for row in expected
    ]


def test_a_local_file_is_refused(sandbox: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    local = tmp_path / "numbers.csv"
    local.write_text("secret\n42\n")
    duckdb.sql("SELECT 42 AS secret").write_parquet(str(tmp_path / "numbers.parquet"))
    for sql in [
        f"SELECT * FROM read_csv('{local}')",
        f"SELECT * FROM read_parquet('{tmp_path / 'numbers.parquet'}')",
        "SELECT * FROM read_csv('/etc/passwd')",
    ]:
        with pytest.raises(duckdb.PermissionException):
            sandbox.execute(sql).fetchall()


def test_objects_outside_the_lake_prefix_are_refused(
    sandbox: duckdb.DuckDBPyConnection, bucket_lake: BucketLake
) -> None:
    bucket = bucket_lake.bucket
    for path in [
        bucket_lake.outside,
        f"s3://{bucket}/lake-beside/numbers.csv",  # shares the prefix's first letters
        f"s3://{bucket}/lake/../secret/numbers.csv",
        f"s3a://{bucket}/secret/numbers.csv",
        bucket_lake.other_bucket,
    ]:
        with pytest.raises(duckdb.PermissionException):
            sandbox.execute(f"SELECT * FROM read_csv('{path}')").fetchall()
    with pytest.raises(duckdb.Error):
        sandbox.execute(f"SELECT * FROM glob('s3://{bucket}/*')").fetchall()
    # the lake itself still reads, straight from a file as well as through a view
    assert sandbox.execute(f"SELECT count(*) FROM glob('s3://{bucket}/lake/*')").fetchone()[0]
    assert sandbox.execute("SELECT count(*) FROM products").fetchone()[0] > 0


def test_nothing_is_written_to_the_bucket(
    sandbox: duckdb.DuckDBPyConnection, bucket_lake: BucketLake
) -> None:
    """DuckDB lets COPY write below an allowed directory; the registered filesystem does not."""
    target = f"s3://{bucket_lake.bucket}/lake/written.csv"
    with pytest.raises(duckdb.Error):
        sandbox.execute(f"COPY (SELECT 1 AS x) TO '{target}'")
    assert not bucket_lake.lake.fs.exists(target)


def test_the_filesystem_alone_serves_only_the_prefix(bucket_lake: BucketLake) -> None:
    """The second wall, with DuckDB's own (external access on, no allowed_directories)."""
    assert not isinstance(bucket_lake.lake, Path)
    con = duckdb.connect()
    try:
        con.register_filesystem(
            ConfinedFileSystem(bucket_lake.lake.fs, f"{bucket_lake.bucket}/lake")
        )
        bucket = bucket_lake.bucket
        for path in [
            bucket_lake.outside,
            bucket_lake.other_bucket,
            f"s3://{bucket}/lake-beside/numbers.csv",
            f"s3://{bucket}/lake/../secret/numbers.csv",
            f"s3://{bucket}/lake//../secret/numbers.csv",
            f"s3a://{bucket}/secret/numbers.csv",
        ]:
            with pytest.raises(duckdb.Error, match="outside the readable prefix"):
                con.execute(f"SELECT * FROM read_csv('{path}')").fetchall()
        with pytest.raises(duckdb.Error, match="outside the readable prefix"):
            con.execute(f"SELECT * FROM glob('s3://{bucket}/*')").fetchall()
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute(f"COPY (SELECT 1 AS x) TO 's3://{bucket}/lake/w.csv'")
        lake_file = f"s3://{bucket}/lake/**/*.parquet"
        assert con.execute(f"SELECT count(*) FROM glob('{lake_file}')").fetchone()[0] > 0
    finally:
        con.close()


def test_a_query_reaching_outside_fails_with_a_message(bucket_lake: BucketLake) -> None:
    """Through run_query, the refusal is a failed query with DuckDB's reason, not a crash (the
    guard would refuse read_csv first: this is the query that got past it)."""
    past_the_guard = CheckedQuery(f"SELECT * FROM read_csv('{bucket_lake.outside}')", frozenset())
    with pytest.raises(QueryFailedError, match="Permission"):
        run_query(past_the_guard, bucket_lake.warehouse, bucket_lake.lake)
