"""Benchmark scaling: workers, ingestion per core, marts memory against fleet size, one more day.

Simulates two fleets (no quirks) of ``--small`` and ``--large`` machines over ``--days`` days,
receives every file on its arrival day, then measures in this run:

- ``workers2/1``: files/s building the raw partitions of every arrival day of the large fleet
  (``ingest.days.build_days``: parse, raw rows, Parquet) on two workers against one; beside it
  ``cpu2/1``, the same ratio for a pure-Python loop in two processes against one, which is what
  this machine's cores allow any two workers at best (a virtual machine's cores may be shared);
- ``ingest/parse+decode``: files/s of that build on one worker against ``evadts.parse`` with
  every field decoded on the same files (the least any ingestion of every field must do);
- ``marts peak large/small``: peak memory of a process building the sales and derived marts
  (``refresh_marts`` + ``refresh_derived``) of the large fleet against the small one;
- ``marts day/full``: the marts refresh after one arrival day (its raw partition rebuilt) against
  the full build, at the large fleet. The day is the last *ordinary* arrival day: the
  simulator's final arrival day is a flush that delivers every machine's held files at once
  (reads reaching back months through clock faults), which no daily run of a live fleet sees.

    uv run python bench/scale.py                          # 100 and 500 machines x 365 days
    uv run python bench/scale.py --small 20 --large 100 --days 60   # a quick run

The last line is ``scale: workers2/1 X.XX (cpu2/1 X.XX), ingest/parse+decode X.XX, marts peak
500/100 X.XX, marts day/full X.XX`` (the fleet sizes are the run's own).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

# this script's folder must not shadow the project's packages
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.days import build_and_publish, build_days  # noqa: E402
from ingest.raw_tables import SCHEMAS  # noqa: E402
from ingest.receive import blob_path, deliveries_of_day, receive_inbox  # noqa: E402
from simulator import OutputPaths, QuirkConfig, SimConfig, simulate  # noqa: E402
from transforms import lake  # noqa: E402
from transforms.derived import refresh_derived  # noqa: E402
from transforms.engine import DEFAULT_MEMORY_LIMIT, EngineConfig  # noqa: E402
from transforms.marts import refresh_marts  # noqa: E402


def _bench_module(name: str) -> object:
    """Another bench script as a module (its ``main`` is guarded), for its helpers."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(name))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Fleet:
    """A simulated fleet received into a home's archive (no partition built yet)."""

    home: Path
    days: list[str]
    files: int
    # per arrival day: files delivered and distinct machines that delivered them
    per_day: dict[str, tuple[int, int]]

    def ordinary_day(self) -> str:
        """The latest arrival day before the simulator's final flush whose file count is at
        most 1.5 times the median day's: what a daily run of a live fleet takes in."""
        counts = sorted(files for files, _ in self.per_day.values())
        median = counts[len(counts) // 2]
        for day in reversed(self.days[:-1]):
            if self.per_day[day][0] <= 1.5 * median:
                return day
        return self.days[-1]


def receive_fleet(machines: int, days: int, root: Path) -> Fleet:
    """Simulate ``machines`` x ``days`` and receive each file on its arrival day."""
    source, home = root / "source", root / "home"
    config = SimConfig(machines=machines, days=days, quirks=QuirkConfig(enabled=False))
    simulate(config, OutputPaths(source / "inbox", source / "md", source / "truth"), workers=2)
    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    arrival_days = sorted({d.isoformat() for d in arrivals["arrival_date"]})
    files = 0
    per_day: dict[str, tuple[int, int]] = {}
    for day in arrival_days:
        inbox = home / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        todays = arrivals.filter(pl.col("arrival_date").cast(pl.String) == day)
        moved = 0
        for name in todays["file_name"]:
            if (source / "inbox" / name).exists():
                (source / "inbox" / name).rename(inbox / name)
                moved += 1
        files += moved
        per_day[day] = (moved, todays["serial"].n_unique())
        noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        receive_inbox(inbox, home / "archive", now=noon)
    return Fleet(home, arrival_days, files, per_day)


def build_rate(fleet: Fleet, lake_dir: Path, workers: int) -> float:
    """Files/s building every arrival day's raw partitions on ``workers`` processes."""
    started = time.perf_counter()
    for _ in build_days(fleet.home / "archive", lake_dir, fleet.days, workers=workers):
        pass
    elapsed = time.perf_counter() - started
    for name, schema in SCHEMAS.items():
        lake.write_schema_file(lake_dir, name, schema)
    return fleet.files / elapsed


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_ceiling(n: int = 20_000_000) -> float:
    """Two processes' throughput against one on a pure CPU loop: the best any two workers on
    this machine can do (1.0 would be one core, 2.0 two whole cores)."""
    started = time.perf_counter()
    _spin(n)
    _spin(n)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [n, n]))
    return serial / (time.perf_counter() - started)


def decode_rate(fleet: Fleet) -> float:
    """Files/s of ``evadts.parse`` with every field decoded, on the fleet's archived files."""
    archive = fleet.home / "archive"
    files = [
        blob_path(archive, d.sha256)
        for day in fleet.days
        for d, first in deliveries_of_day(archive, day)
        if d.delivery_id == first.delivery_id
    ]
    ingest_bench = _bench_module("ingest.py")
    _, decode_s, _ = ingest_bench.parse_baselines(files)  # type: ignore[attr-defined]
    return len(files) / decode_s


def marts_child(memory_limit: str, *args: str) -> dict[str, float]:
    """Run a marts stage in a fresh process, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--memory-limit", memory_limit, "--child", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"marts stage {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(
    stage: str, lake_dir: Path, archive: Path | None, day: str | None, memory_limit: str
) -> None:
    """``full``: build every month of the marts; ``day``: rebuild ``day``'s raw partition, then
    refresh the marts for it; DuckDB held to ``memory_limit``, spilling beside the lake (as the
    assets do under ``$CVD_HOME/tmp/duckdb``). Prints seconds and peak MB as JSON."""
    engine = EngineConfig(memory_limit, lake_dir.parent / "tmp" / "duckdb")
    started = time.perf_counter()
    if stage == "full":
        refresh_marts(lake_dir, engine=engine)
    else:
        assert archive is not None and day is not None
        build_and_publish(archive, lake_dir, day)
        refresh_marts(lake_dir, [day], engine)
    sales = time.perf_counter() - started
    # the whole-history marts that need no master data (the simulator's CSVs are not imported)
    no_master = _bench_module("marts.py").NO_MASTER  # type: ignore[attr-defined]
    refresh_derived(lake_dir, no_master, engine)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "sales_s": sales, "peak_mb": peak_mb}))


def main() -> None:
    """Simulate, measure and print the figures; the ratios on the last line."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT, help="DuckDB's, per build")
    ap.add_argument("--child")
    ap.add_argument("--lake", type=Path)
    ap.add_argument("--archive", type=Path)
    ap.add_argument("--day")
    args = ap.parse_args()
    if args.child:
        run_child(args.child, args.lake, args.archive, args.day, args.memory_limit)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        large = receive_fleet(args.large, args.days, root / "large")
        print(f"{args.large} machines x {args.days} days: {large.files} files")
        one = build_rate(large, root / "large" / "lake1", workers=1)
        two = build_rate(large, root / "large" / "lake2", workers=2)
        decode = decode_rate(large)
        ceiling = cpu_ceiling()
        print(f"raw partitions: 1 worker {one:.1f} files/s, 2 workers {two:.1f} files/s "
              f"({two / 2:.1f} per worker); parse + decode {decode:.1f} files/s; "
              f"this machine's cpu2/1 {ceiling:.2f}")  # fmt: skip
        full_large = marts_child(args.memory_limit, "full", "--lake", str(root / "large" / "lake1"))
        last = large.ordinary_day()
        files_that_day, machines_that_day = large.per_day[last]
        archive = str(large.home / "archive")
        lake1 = str(root / "large" / "lake1")
        day = marts_child(args.memory_limit, "day", "--lake", lake1, "--archive", archive,
                          "--day", last)  # fmt: skip
        print(f"marts at {args.large} machines: full build {full_large['seconds']:.1f} s "
              f"(sales marts {full_large['sales_s']:.1f} s), "
              f"peak {full_large['peak_mb']:.0f} MB; one more day ({last}: {files_that_day} "
              f"files from {machines_that_day} machines) {day['seconds']:.1f} s "
              f"(sales marts {day['sales_s']:.1f} s), "
              f"peak {day['peak_mb']:.0f} MB")  # fmt: skip
        small = receive_fleet(args.small, args.days, root / "small")
        build_rate(small, root / "small" / "lake", workers=2)
        full_small = marts_child(args.memory_limit, "full", "--lake", str(root / "small" / "lake"))
        print(f"marts at {args.small} machines: full build {full_small['seconds']:.1f} s, "
              f"peak {full_small['peak_mb']:.0f} MB ({small.files} files)")  # fmt: skip
    peak = full_large["peak_mb"] / full_small["peak_mb"]
    print(
        f"scale: workers2/1 {two / one:.2f} (cpu2/1 {ceiling:.2f}), "
        f"ingest/parse+decode {one / decode:.2f}, "
        f"marts peak {args.large}/{args.small} {peak:.2f}, "
        f"marts day/full {day['seconds'] / full_large['seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
