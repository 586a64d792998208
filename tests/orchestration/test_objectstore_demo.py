"""The demo on PostgreSQL and object storage gives the same tables as the embedded default.

Two homes get the same simulated fleet (`cvd demo-data`, same seed); one runs with the embedded
default (SQLite databases, local lake and archive), the other with every store moved: the
operational database, the archive's ledger and Dagster's storage on a real PostgreSQL 15
(``tests/pg.py``), ``CVD_LAKE_URL`` and ``CVD_ARCHIVE_URL`` in a bucket of a real S3 API server
(``tests/s3.py``). After `cvd materialize` both warehouses hold the same rows, from the raw
content to the forecasts and recommendations (arrival metadata and run stamps aside: the two
homes received their files and ran at different moments).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import s3fs
from sqlalchemy.engine import make_url

from orchestration.settings import load_settings
from tests.orchestration.pipeline import CONTENT_SQL, cvd, demo
from tests.pg import PostgresServer, count
from tests.s3 import S3Server
from transforms.catalog import open_warehouse

# What analysts read, without the columns that say when this home received a file.
COMPARED = {
    "dex_content": CONTENT_SQL,
    "quarantine": "SELECT sha256, read_index, reason, message FROM quarantine ORDER BY ALL",
    "fct_slot_sales": "SELECT * FROM fct_slot_sales ORDER BY ALL",
    "fct_daily_sales": "SELECT * FROM fct_daily_sales ORDER BY ALL",
    "fct_stockouts": "SELECT * FROM fct_stockouts ORDER BY ALL",
    "slot_status": "SELECT * FROM slot_status ORDER BY ALL",
    "machine_health": "SELECT * FROM machine_health ORDER BY ALL",
    "sales_by_route_day": "SELECT * FROM sales_by_route_day ORDER BY ALL",
}
# What the models made of them (a full `cvd materialize`), without the runs' own stamps.
MODEL_OUTPUTS = {
    "demand_forecast": "SELECT * EXCLUDE (created_at) FROM demand_forecast ORDER BY ALL",
    "planogram_recommendations": (
        "SELECT * EXCLUDE (run_id, created_at) FROM planogram_recommendations ORDER BY ALL"
    ),
    "service_plan": "SELECT * FROM service_plan ORDER BY ALL",
}


def _rounded(row: tuple[object, ...]) -> tuple[object, ...]:
    """Floats to 6 decimals: DuckDB sums doubles in parallel, in no fixed order, so the last
    bits of an estimate may differ between any two runs, on any storage."""
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def _build(home: Path) -> dict[str, list[tuple[object, ...]]]:
    demo(home, machines=4, days=12)
    assert cvd("db", "upgrade", "--home", str(home)) == 0
    assert cvd("import", "master-data", "--home", str(home)) == 0
    assert cvd("materialize", "--home", str(home)) == 0
    settings = load_settings(home)
    con = open_warehouse(settings.warehouse, settings.lake)
    try:
        return {
            name: [_rounded(row) for row in con.execute(sql).fetchall()]
            for name, sql in (COMPARED | MODEL_OUTPUTS).items()
        }
    finally:
        con.close()


@pytest.mark.slow
def test_demo_in_object_storage_equals_the_embedded_default(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    for name in [n for n in os.environ if n.startswith("CVD_")]:
        monkeypatch.delenv(name)
    embedded = _build(tmp_path / "embedded")

    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CVD_LAKE_URL", f"s3://{s3_bucket}/lake")
    monkeypatch.setenv("CVD_ARCHIVE_URL", f"s3://{s3_bucket}/archive")
    ops, ledger, dagster = (postgres_server.create_database() for _ in range(3))
    monkeypatch.setenv("CVD_DATABASE_URL", ops)
    monkeypatch.setenv("CVD_LEDGER_URL", ledger)
    dagster_url = make_url(dagster).set(drivername="postgresql+psycopg2")
    monkeypatch.setenv("CVD_DAGSTER_STORAGE_URL", dagster_url.render_as_string(False))
    stored = _build(tmp_path / "stored")

    assert embedded["dex_content"], "the demo delivered no reads"
    assert embedded["fct_daily_sales"], "the demo built no sales"
    assert embedded["demand_forecast"], "the demo forecast nothing"
    assert embedded["service_plan"], "the demo planned no visit"
    for name in (*COMPARED, *MODEL_OUTPUTS):
        assert stored[name] == embedded[name], name
    # the stores really are PostgreSQL: no SQLite file in the second home
    home = tmp_path / "stored"
    assert not (home / "cvd.sqlite").exists()
    assert not (home / "archive" / "ledger.sqlite").exists()
    assert not list((home / "dagster").rglob("*.db"))
    # and they hold what the embedded home's SQLite files hold
    local = tmp_path / "embedded"
    for url, sqlite_file, table in (
        (ledger, local / "archive" / "ledger.sqlite", "deliveries"),
        (ops, local / "cvd.sqlite", "devices"),
        (ops, local / "cvd.sqlite", "planogram_slots"),
    ):
        with closing(sqlite3.connect(sqlite_file)) as con:
            (want,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert want > 0, table
        assert count(url, f"SELECT count(*) FROM {table}") == want, table
    # the data really is in the bucket: no lake and no blob in the second home
    assert not (home / "lake").exists()
    assert not list((home / "archive").glob("??/*.dex"))
    options = s3_server.config().storage_options()
    fs = s3fs.S3FileSystem(**options)
    blobs = fs.glob(f"{s3_bucket}/archive/*/*.dex")
    local_blobs = list((tmp_path / "embedded" / "archive").glob("??/*.dex"))
    assert local_blobs
    assert sorted(Path(b).name for b in blobs) == sorted(p.name for p in local_blobs)
    assert fs.glob(f"{s3_bucket}/lake/dex_reads/received_date=*/v-*.parquet")
