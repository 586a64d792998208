"""Benchmark ingestion: simulator files of a fleet-year through the real pipeline.

Prints, each against a baseline measured in the same run:
- ingestion files/s and MB/s (archive, parse, lake partitions, checks, master data: one Dagster
  run over every arrival day) beside `evadts.parse` alone on the same files, and beside parse with
  every field decoded (the least any ingestion must do); target ingest/parse >= 0.4;
- peak memory of the ingesting process for a quarter and for the full year (bounded: it must
  not grow with the number of files);
- the cost of adding one more arrival day to the full year versus to an empty warehouse
  (target <= 2);
- the sales marts (issue 6) timed separately over the same arrival days: full year, and one
  added day (ratio to the full build).

Ingestion here is receive, raw tables and their checks, master data; a second run over the same
partition range builds the marts and swaps the catalog (timed as the transform).

    uv run python bench/ingest.py [--machines 200] [--days 365]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

# this script is bench/ingest.py: its folder must not shadow the project's ingest package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import evadts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def child(stage: str, home: Path, source: Path, days: list[str]) -> dict[str, float]:
    """Run one stage in a fresh process, so that its peak memory is its own."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            stage,
            "--home",
            str(home),
            "--source",
            str(source),
            "--arrivals",
            ",".join(days),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_child(stage: str, home: Path, source: Path, days: list[str]) -> None:
    """In the child: receive the files of ``days`` by arrival day, then materialize once."""
    import dagster as dg  # noqa: PLC0415

    from ingest.receive import receive_inbox  # noqa: PLC0415
    from ingest.stale import contiguous_blocks, stale_days  # noqa: PLC0415
    from operations import db  # noqa: PLC0415
    from orchestration.cli.pipeline_run import (  # noqa: PLC0415
        prepare_environment,
        run_resources,
    )
    from orchestration.defs.ingest.schedules import days_tags, range_tags  # noqa: PLC0415
    from orchestration.settings import load_settings  # noqa: PLC0415

    settings = load_settings(home)
    prepare_environment(settings)
    db.upgrade(settings.database_url)
    from orchestration.definitions import defs as load_defs  # noqa: PLC0415

    defs = load_defs()

    arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
    files = size = 0
    receive_s = 0.0  # receive_inbox only: dropping the files into the inbox is the uploader's work
    for day in days:
        names = arrivals.filter(pl.col("arrival_date").cast(pl.String) == day)["file_name"]
        settings.inbox.mkdir(parents=True, exist_ok=True)
        for name in names:
            src = source / "inbox" / name
            if src.exists():
                shutil.copyfile(src, settings.inbox / name)
                files += 1
                size += src.stat().st_size
        noon = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
        t0 = time.perf_counter()
        receive_inbox(settings.inbox, settings.archive, now=noon)
        receive_s += time.perf_counter() - t0
    received = time.perf_counter()
    instance = dg.DagsterInstance.get()
    everything = [*defs.assets, *defs.asset_checks]  # type: ignore[misc]
    marts = [dg.AssetKey("sales_marts"), dg.AssetKey("derived_marts")]
    graph = defs.resolve_asset_graph()
    raw = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "raw"]
    master = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "master"]
    blocks = contiguous_blocks(stale_days(settings.archive, settings.lake))
    workers_peak_mb = 0.0
    for first, last in blocks:
        # ingestion: the raw partitions and their checks, then master data (as `cvd materialize`
        # runs them: a ranged run for the partitions, an unpartitioned one for the rest)
        for selection, tags in ((raw, range_tags(first, last)), (master, days_tags(first, last))):
            result = dg.materialize(
                everything,
                instance=instance,
                selection=selection,
                resources=run_resources(settings),
                tags=tags,
            )
            assert result.success
            for event in result.asset_materializations_for_node("raw_dex"):
                workers_peak_mb = max(workers_peak_mb, event.metadata["parse_peak_mb"].value)
    done = time.perf_counter()
    # ingestion's peak: the largest of this process and its parse workers, read before the
    # marts run in this process. The workers report their own: they are the forkserver's
    # children, so RUSAGE_CHILDREN of this process never counts them.
    peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, workers_peak_mb)
    transform_s = 0.0
    for first, last in blocks:
        # the sales marts over the same arrival days (issue 6's transform time)
        t0 = time.perf_counter()
        result = dg.materialize(
            everything,
            instance=instance,
            selection=[*marts, dg.AssetKey("warehouse")],
            resources=run_resources(settings),
            tags=days_tags(first, last),
        )
        assert result.success
        transform_s += time.perf_counter() - t0
    marts_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "files": files,
                "bytes": size,
                "receive_s": receive_s,
                "build_s": done - received,
                "total_s": receive_s + done - received,
                "transform_s": transform_s,
                "peak_mb": peak_mb,
                "marts_peak_mb": marts_peak_mb,
                "stage": stage,
            }
        )
    )


def parse_baselines(files: list[Path]) -> tuple[float, float, int]:
    """Seconds for evadts.parse alone, and for parse with every field decoded."""
    blobs = [p.read_bytes() for p in files]
    t0 = time.perf_counter()
    for data in blobs:
        evadts.parse(data)
    t1 = time.perf_counter()
    for data in blobs:
        for read in evadts.parse(data).reads:
            read.problems  # noqa: B018  (decodes every field)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sum(len(b) for b in blobs)


def main() -> None:
    """Simulate, ingest and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--machines", type=int, default=200)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--child")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--source", type=Path)
    ap.add_argument("--arrivals")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=ROOT / "bench" / ".work",
        help="scratch space (file creation in /tmp is slow on some machines)",
    )
    args = ap.parse_args()
    if args.child:
        run_child(args.child, args.home, args.source, args.arrivals.split(","))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cvd-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        source = work / "source"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "orchestration",
                "demo-data",
                "--machines",
                str(args.machines),
                "--days",
                str(args.days + 1),
                "--seed",
                str(args.seed),
                "--home",
                str(source),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        sim_s = time.perf_counter() - t0
        arrivals = pl.read_parquet(source / "truth" / "deliveries.parquet")
        days = sorted({d.isoformat() for d in arrivals["arrival_date"].to_list()})
        year, extra = days[:-1], days[-1:]
        quarter = year[: max(1, len(year) // 4)]
        year_files = [
            source / "inbox" / n
            for n in arrivals.filter(pl.col("arrival_date").cast(pl.String).is_in(year))[
                "file_name"
            ]
            if (source / "inbox" / n).exists()
        ]
        parse_s, decode_s, size = parse_baselines(year_files)
        q = child("quarter", work / "quarter", source, quarter)
        y = child("year", work / "year", source, year)
        add_full = child("add-to-year", work / "year", source, extra)
        add_empty = child("add-to-empty", work / "empty", source, extra)
    mb = size / 1e6
    n = len(year_files)
    print(f"\nfleet: {args.machines} machines x {args.days} days; simulated in {sim_s:.1f} s")
    print(f"files: {n} ({mb:.1f} MB) over {len(year)} arrival days")
    print(f"\n{'':34}{'files/s':>10}{'MB/s':>9}{'seconds':>10}")
    for label, seconds in (
        ("evadts.parse alone", parse_s),
        ("evadts.parse + decode all fields", decode_s),
        ("ingestion (receive + Dagster run)", y["total_s"]),
    ):
        print(f"{label:34}{n / seconds:10.0f}{mb / seconds:9.2f}{seconds:10.1f}")
    print(
        f"  of which receive (archive, index): {y['receive_s']:.1f} s, "
        f"build (parse, lake, checks, master data): {y['build_s']:.1f} s"
    )
    print(f"ratio ingestion/parse alone (throughput): {parse_s / y['total_s']:.3f}   target >= 0.4")
    print(
        f"ratio ingestion/parse+decode:             {decode_s / y['total_s']:.3f}\n"
        "  (evadts.parse lexes and checks the CRC; fields are decoded on first access, so\n"
        "  parse + decode is the work of a parser that returns every field)"
    )
    print(
        f"\npeak memory: quarter ({q['files']} files) {q['peak_mb']:.0f} MB, "
        f"year ({y['files']} files) {y['peak_mb']:.0f} MB, ratio {y['peak_mb'] / q['peak_mb']:.2f}"
    )
    print(
        f"\nsales marts (transforms) after the same runs: full year {y['transform_s']:.1f} s "
        f"(peak {y['marts_peak_mb']:.0f} MB), "
        f"one more day {add_full['transform_s']:.1f} s, "
        f"ratio {add_full['transform_s'] / y['transform_s']:.3f}"
    )
    print(
        f"\none more arrival day ({add_full['files']} files): into the full year "
        f"{add_full['total_s']:.1f} s, into an empty warehouse {add_empty['total_s']:.1f} s, "
        f"ratio {add_full['total_s'] / add_empty['total_s']:.2f}   target <= 2"
    )


if __name__ == "__main__":
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    main()
