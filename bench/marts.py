"""Benchmark the sales marts: a full build over a fleet-year versus one more arrival day.

Simulates the fleet (no quirks), receives every file on its arrival day and writes the raw
partitions with the ingestion's own functions (no Dagster: the transforms are what is timed),
then prints:
- the full build of the marts (every month) and the refresh after the last arrival day only,
  and their ratio;
- the same for the derived marts (``transforms/derived.py``: ``fct_daily_sales`` by month of
  sale, and the whole-history marts that need no master data, recomputed at every run);
- the time of a query on each catalog view built on the marts.

    uv run python bench/marts.py [--machines 200] [--days 365]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

# this file's name would shadow the `transforms` package when run as a script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.raw_tables import SCHEMAS, build_day  # noqa: E402
from ingest.receive import receive_inbox  # noqa: E402
from simulator import OutputPaths, QuirkConfig, SimConfig, simulate  # noqa: E402
from transforms import lake  # noqa: E402
from transforms.catalog import RAW_VIEWS, view_sql  # noqa: E402
from transforms.derived import refresh_derived  # noqa: E402
from transforms.marts import refresh_marts  # noqa: E402

TIMED = ("fct_slot_sales", "fct_daily_sales", "fct_stockouts")
# the derived marts computable without master data (the simulator's CSVs are not imported here)
NO_MASTER = ("fleet_clock", "fct_stockouts", "stockout_lost_share")


def ingest(source: Path, home: Path) -> list[str]:
    """Receive the simulator's files by arrival day and write each day's raw partitions."""
    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    inbox, archive, lake_dir = home / "inbox", home / "archive", home / "lake"
    days = sorted({d.isoformat() for d in arrivals["arrival_date"]})
    for day in days:
        inbox.mkdir(parents=True, exist_ok=True)
        for name in arrivals.filter(pl.col("arrival_date").cast(pl.String) == day)["file_name"]:
            if (source / "inbox" / name).exists():
                shutil.copyfile(source / "inbox" / name, inbox / name)
        receive_inbox(inbox, archive, now=datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC))
        for name, table in build_day(archive, day).tables().items():
            lake.write_table(lake.partition_path(lake_dir, name, day), table)
    for name, schema in SCHEMAS.items():
        lake.write_schema_file(lake_dir, name, schema)
    return days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--machines", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, home = Path(tmp) / "source", Path(tmp) / "home"
        config = SimConfig(
            machines=args.machines, days=args.days, quirks=QuirkConfig(enabled=False)
        )
        t0 = time.perf_counter()
        simulate(config, OutputPaths(source / "inbox", source / "md", source / "truth"), workers=2)
        t1 = time.perf_counter()
        days = ingest(source, home)
        t2 = time.perf_counter()
        print(f"{args.machines} machines × {args.days} days: simulate {t1 - t0:.0f} s, "
              f"raw partitions of {len(days)} arrival days {t2 - t1:.0f} s")  # fmt: skip
        lake_dir = home / "lake"
        t3 = time.perf_counter()
        full = refresh_marts(lake_dir)
        t4 = time.perf_counter()
        full_derived = refresh_derived(lake_dir, NO_MASTER)
        t4b = time.perf_counter()
        one = refresh_marts(lake_dir, [days[-1]])
        t5 = time.perf_counter()
        one_derived = refresh_derived(lake_dir, NO_MASTER)
        t5b = time.perf_counter()
        full_s, one_s = t4 - t3, t5 - t4b
        full_d, one_d = t4b - t4, t5b - t5
        print(f"full build: {full_s:.1f} s ({len(full.months)} months, "
              f"{full.rows['fct_slot_sales']:,} interval rows, "
              f"{full.rows['fct_daily_sales_parts']:,} daily rows)")  # fmt: skip
        print(f"one added arrival day: {one_s:.1f} s ({len(one.months)} month(s) rebuilt): "
              f"ratio {one_s / full_s:.2f} of the full build")  # fmt: skip
        rows, months = full_derived.rows["fct_daily_sales"], len(full_derived.sales_months)
        print(f"derived marts, full build: {full_d:.1f} s ({months} sales months of "
              f"fct_daily_sales, {rows:,} rows; {', '.join(NO_MASTER)})")  # fmt: skip
        both_one, both_full = one_s + one_d, full_s + full_d
        print(f"derived marts, one added arrival day: {one_d:.1f} s "
              f"({len(one_derived.sales_months)} sales month(s) re-summed): ratio "
              f"{one_d / full_d:.2f}; marts + derived {both_one:.1f} s vs {both_full:.1f} s "
              f"(ratio {both_one / both_full:.2f})")  # fmt: skip
        # the views that need no master data (the simulator's CSVs are not imported here)
        con = duckdb.connect()
        for folder, name in [("raw", v) for v in RAW_VIEWS] + [("marts", v) for v in TIMED]:
            con.execute(view_sql(folder, name, lake_dir))
        for view in TIMED:
            t = time.perf_counter()
            con.sql(f"SELECT count(*) FROM {view}").fetchall()
            print(f"  query {view}: {time.perf_counter() - t:.2f} s")
        con.close()


if __name__ == "__main__":
    main()
