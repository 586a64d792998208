"""One more arrival day refreshes the marts incrementally and gives exactly a full rebuild.

A simulated fleet (its own quirks: late files, clock problems) is received day by day. Lake A
builds every arrival day but the last, builds the marts, then takes in the last day the way a
daily run does (its partitions, ``refresh_marts`` for that day, ``refresh_derived``); lake B
builds every day and the marts once, from nothing. Every mart of A must equal B's row for row.
``fct_stockouts`` is recomputed in A only for the machines whose files arrived on the last day.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.days import build_and_publish
from ingest.raw_tables import SCHEMAS
from ingest.receive import receive_inbox
from simulator import OutputPaths, SimConfig, simulate
from transforms import lake
from transforms.derived import DERIVED, PER_MACHINE, dataset, refresh_derived
from transforms.marts import MARTS_DIR, MATERIALIZED, refresh_marts

# the derived marts that need no master data (the simulator's CSVs are not imported here)
NO_MASTER = ("fleet_clock", "fct_stockouts", "stockout_lost_share")
MACHINES = 6


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], set[str]]:
    """An archive holding every file of the fleet, its arrival days, and the machines whose
    files arrive on the last day."""
    root = tmp_path_factory.mktemp("fleet")
    source = root / "source"
    simulate(SimConfig(machines=MACHINES, days=40), OutputPaths(
        source / "inbox", source / "md", source / "truth"), workers=1)  # fmt: skip
    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    days = sorted({d.isoformat() for d in arrivals["arrival_date"]})
    inbox, archive = root / "inbox", root / "archive"
    last_files: list[str] = []
    for day in days:
        inbox.mkdir(exist_ok=True)
        names = arrivals.filter(pl.col("arrival_date").cast(pl.String) == day)["file_name"]
        for name in names:
            if (source / "inbox" / name).exists():
                shutil.copyfile(source / "inbox" / name, inbox / name)
        last_files = list(names)
        receive_inbox(inbox, archive, now=datetime.fromisoformat(day).replace(tzinfo=UTC))
    # the simulator names every file after its machine: <serial>_...
    last_machines = {name.split("_", 1)[0] for name in last_files}
    return archive, days, last_machines


def _build_days(archive: Path, lake_dir: Path, days: list[str]) -> None:
    for day in days:
        build_and_publish(archive, lake_dir, day)
    for name, schema in SCHEMAS.items():
        lake.write_schema_file(lake_dir, name, schema)


def _rows(lake_dir: Path, table: str) -> Counter[tuple[object, ...]]:
    """Every row of the live versions of ``table``, floats rounded to 9 digits (a sum over a
    subset of machines may add in another order than over all of them)."""
    files = [f.as_posix() for f in lake.current_files(lake_dir / MARTS_DIR / table)]
    con = duckdb.connect()
    try:
        relation = con.sql("SELECT * FROM read_parquet($f, union_by_name = true)", params={
            "f": files})  # fmt: skip
        columns = [
            f"round({c}, 9)" if str(t) in ("DOUBLE", "FLOAT") else c
            for c, t in zip(relation.columns, relation.types, strict=True)
        ]
        rows = con.execute(
            f"SELECT {', '.join(columns)} FROM read_parquet($f, union_by_name = true)",
            {"f": files},
        ).fetchall()
    finally:
        con.close()
    return Counter(rows)


def test_one_more_day_equals_a_full_rebuild(
    received: tuple[Path, list[str], set[str]], tmp_path: Path
) -> None:
    archive, days, last_machines = received
    assert 0 < len(last_machines) < MACHINES  # else the test could not tell scoped from whole
    daily, full = tmp_path / "daily", tmp_path / "full"
    _build_days(archive, daily, days[:-1])
    refresh_marts(daily)
    before = refresh_derived(daily, NO_MASTER)
    assert before.machines["fct_stockouts"] is None  # the first build computes every machine
    _build_days(archive, daily, days[-1:])
    day = refresh_marts(daily, days[-1:])
    after = refresh_derived(daily, NO_MASTER)
    assert after.machines["fct_stockouts"] == len(last_machines)
    assert day.machines == len(last_machines)  # the sales marts too

    _build_days(archive, full, days)
    refresh_marts(full)
    refresh_derived(full, NO_MASTER)
    for table in (*MATERIALIZED, *[n for n in DERIVED if n in (*NO_MASTER, "fct_daily_sales")]):
        got, want = _rows(daily, table), _rows(full, table)
        assert sum(want.values()) > 0, table
        assert got == want, table
    assert set(PER_MACHINE) <= set(NO_MASTER)


def test_nothing_new_keeps_the_stored_version(
    received: tuple[Path, list[str], set[str]], tmp_path: Path
) -> None:
    archive, days, _ = received
    _build_days(archive, tmp_path, days)
    refresh_marts(tmp_path)
    refresh_derived(tmp_path, NO_MASTER)
    stored = lake.current_file(dataset(tmp_path, "fct_stockouts"))
    again = refresh_derived(tmp_path, NO_MASTER)
    assert again.machines["fct_stockouts"] == 0
    assert lake.current_file(dataset(tmp_path, "fct_stockouts")) == stored
