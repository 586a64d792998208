"""Which engine parses arrival days in parallel: measured on this machine, in one run.

On the same received fleet it times building every arrival day's raw partitions
- in this process (one worker: the reference),
- on Dask distributed (``ingest.days.build_days``: a ``LocalCluster`` of two processes),
- on a two-process pool (``concurrent.futures`` with a forkserver: what CVD used before),
and the fixed cost Dagster's multiprocess executor pays per step: a fresh Python process that
loads the code location (``orchestration.definitions``), once per day when each day is a step.

    uv run python bench/engines.py [--machines 40] [--days 30]

Last line: ``engines: dask2/1 X.XX, pool2/1 X.XX, dagster step start S.SS s, days/s 1 worker X.XX``.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

# this script's folder must not shadow the project's packages
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.days import build_and_publish, build_days  # noqa: E402


def _scale_module() -> object:
    spec = importlib.util.spec_from_file_location(
        "bench_scale", Path(__file__).with_name("scale.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def pool_seconds(archive: Path, lake_dir: Path, days: list[str]) -> float:
    """Seconds to build ``days`` on a two-process forkserver pool (the former engine)."""
    started = time.perf_counter()
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        list(pool.map(partial(build_and_publish, archive, lake_dir), days))
    return time.perf_counter() - started


def engine_seconds(archive: Path, lake_dir: Path, days: list[str], workers: int) -> float:
    """Seconds to build ``days`` through ``ingest.days.build_days`` on ``workers``."""
    started = time.perf_counter()
    list(build_days(archive, lake_dir, days, workers=workers))
    return time.perf_counter() - started


def dagster_step_start() -> float:
    """Seconds for a fresh process to load the code location, as each step of Dagster's
    multiprocess executor does before it runs (the least a per-day step costs)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import orchestration.definitions"], check=True, cwd=Path.cwd()
    )
    return time.perf_counter() - started


def main() -> None:
    """Receive a fleet, time each engine and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--machines", type=int, default=40)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    scale = _scale_module()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fleet = scale.receive_fleet(args.machines, args.days, root)  # type: ignore[attr-defined]
        archive, days = fleet.home / "archive", fleet.days
        one = engine_seconds(archive, root / "one", days, workers=1)
        dask = engine_seconds(archive, root / "dask", days, workers=2)
        pool = pool_seconds(archive, root / "pool", days)
        step = dagster_step_start()
    print(f"{fleet.files} files over {len(days)} arrival days")
    print(f"one worker {one:.1f} s; Dask LocalCluster(2) {dask:.1f} s; forkserver pool(2) "
          f"{pool:.1f} s; Dagster step start {step:.2f} s ({len(days)} steps)")  # fmt: skip
    print(
        f"engines: dask2/1 {one / dask:.2f}, pool2/1 {one / pool:.2f}, "
        f"dagster step start {step:.2f} s, days/s 1 worker {len(days) / one:.2f}"
    )


if __name__ == "__main__":
    main()
