"""`cvd up --no-serve` on a fresh home: demo data, master data, a materialized warehouse."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb


def test_up_on_a_fresh_home_builds_the_warehouse_from_demo_data(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration",
            "up",
            "--no-serve",
            "--home",
            str(tmp_path),
            "--machines",
            "3",
            "--days",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with sqlite3.connect(tmp_path / "cvd.sqlite") as con:
        (devices,) = con.execute("select count(*) from devices").fetchone()
    assert devices == 3  # the demo fleet, imported as master data
    wh = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        (reads,) = wh.execute("select count(*) from dex_reads").fetchone()
        (placed,) = wh.execute(
            "select count(*) from dex_reads r join devices d on d.dex_serial = r.machine_serial "
            "where d.location_id is not null"
        ).fetchone()
    finally:
        wh.close()
    assert reads > 0 and placed == reads  # every read belongs to a placed demo machine
    assert not any((tmp_path / "inbox").iterdir())
