"""The demo on object storage gives the same tables as the embedded default.

Two homes get the same simulated fleet (`cvd demo-data`, same seed); one runs with the default
local lake and archive, the other with ``CVD_LAKE_URL`` and ``CVD_ARCHIVE_URL`` in a bucket of
a real S3 API server (``tests/s3.py``). After `cvd materialize` both warehouses hold the same
rows (arrival metadata aside: the two homes received their files at different moments).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import s3fs

from orchestration.settings import load_settings
from tests.orchestration.pipeline import CONTENT_SQL, cvd, demo
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
            for name, sql in COMPARED.items()
        }
    finally:
        con.close()


@pytest.mark.slow
def test_demo_in_object_storage_equals_the_embedded_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_server: S3Server, s3_bucket: str
) -> None:
    for name in ("CVD_HOME", "CVD_DATABASE_URL", "CVD_LAKE_URL", "CVD_ARCHIVE_URL"):
        monkeypatch.delenv(name, raising=False)
    embedded = _build(tmp_path / "embedded")

    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CVD_LAKE_URL", f"s3://{s3_bucket}/lake")
    monkeypatch.setenv("CVD_ARCHIVE_URL", f"s3://{s3_bucket}/archive")
    stored = _build(tmp_path / "stored")

    assert embedded["dex_content"], "the demo delivered no reads"
    assert embedded["fct_daily_sales"], "the demo built no sales"
    for name in COMPARED:
        assert stored[name] == embedded[name], name
    # the data really is in the bucket: no lake and no blob in the second home
    home = tmp_path / "stored"
    assert not (home / "lake").exists()
    assert not list((home / "archive").glob("??/*.dex"))
    options = s3_server.config().storage_options()
    fs = s3fs.S3FileSystem(**options)
    blobs = fs.glob(f"{s3_bucket}/archive/*/*.dex")
    local_blobs = list((tmp_path / "embedded" / "archive").glob("??/*.dex"))
    assert local_blobs
    assert sorted(Path(b).name for b in blobs) == sorted(p.name for p in local_blobs)
    assert fs.glob(f"{s3_bucket}/lake/dex_reads/received_date=*/v-*.parquet")
