"""Helpers for pipeline tests: the real CLI in this process or in a child, and read-only SQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.cli import main

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "dex-corpus"


def cvd(*args: str) -> int:
    """Run `cvd ARGS` in this process (Dagster runs in process too) and return its exit code."""
    return main(list(args))


def cvd_process(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run `cvd ARGS` as a child process, as a cron job or an operator would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CVD_", "DAGSTER_"))}
    return subprocess.run(
        [sys.executable, "-m", "orchestration", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def query(home: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    """Rows of ``sql`` on the home's warehouse, opened read-only like any analyst would."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def demo(home: Path, *extra: str, machines: int = 4, days: int = 12) -> None:
    """Simulated fleet data (master data CSVs, DEX files in the inbox, ground truth)."""
    code = cvd(
        "demo-data",
        "--machines",
        str(machines),
        "--days",
        str(days),
        "--seed",
        "7",
        "--home",
        str(home),
        *extra,
    )
    assert code == 0


def copy_inbox(source: Path, target_home: Path, names: list[str] | None = None) -> None:
    """Copy (some of) a home's inbox files into another home's inbox."""
    inbox = target_home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for path in sorted((source / "inbox").iterdir()):
        if names is None or path.name in names:
            shutil.copy2(path, inbox / path.name)


# What analysts see of the DEX data, without arrival metadata (which differs between homes).
CONTENT_SQL = """
SELECT r.machine_serial, r.read_at, r.init_at, r.crc_verified, c.selection, c.product_id,
       c.price, c.paid_vends_total, c.paid_value_total, c.paid_vends_since_reset,
       c.paid_value_since_reset, c.sold_out_at
FROM dex_reads r JOIN dex_selection_counters c USING (read_id)
ORDER BY ALL
"""
