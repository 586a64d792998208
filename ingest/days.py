"""Build the raw lake partitions of many arrival days, on every core.

A day's partition is a pure function of the archive (see :mod:`ingest.raw_tables`),
so days are independent: each worker parses its day and publishes that day's partitions; the
caller then writes what must stay in one process (quarantine records, new devices, the day's
manifest, last). A crash between a publish and its manifest leaves the day stale, so the next
run rebuilds it: nothing is lost and nothing doubles.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ingest.raw_tables import build_day
from transforms import lake


@dataclass(frozen=True)
class BuiltDay:
    """What one worker did for one arrival day (small: rows stay in the lake)."""

    day: str
    markers: list[str]  # the deliveries the partition was built from
    reads: int
    rows: dict[str, int]  # table -> rows published
    quarantined: dict[str, dict[str, Any]]  # sha -> quarantine record
    serials: dict[str, datetime]  # serial -> first arrival
    peak_mb: float  # the peak memory so far of the process that built it

    @property
    def files(self) -> int:
        """Files (deliveries) the day was built from."""
        return len(self.markers)


def default_workers() -> int:
    """One per core (the edge passes ``workers`` when configured: ``CVD_INGEST_WORKERS``)."""
    return max(1, os.cpu_count() or 1)


def build_and_publish(
    archive: Path, lake_dir: Path, day: str, ledger_url: str | None = None
) -> BuiltDay:
    """Parse the deliveries of ``day`` and publish its partition of every raw table."""
    result = build_day(archive, day, ledger_url)
    rows = {}
    for name, table in result.tables().items():
        lake.publish(lake.partition_dir(lake_dir, name, day), table)
        rows[name] = table.num_rows
    # a worker's peak is not in its parent's RUSAGE_CHILDREN (it is the forkserver's child)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BuiltDay(
        day,
        sorted(result.delivery_ids),
        result.reads,
        rows,
        result.quarantined,
        result.serials,
        peak_mb,
    )


def build_days(
    archive: Path,
    lake_dir: Path,
    days: list[str],
    *,
    workers: int | None = None,
    ledger_url: str | None = None,
) -> Iterator[BuiltDay]:
    """Build every day of ``days``, yielding each as it is done, in the order of ``days``.

    Worker processes are started only when there are several days and several workers; a
    single day (the sensor's usual run) is built in this process. The workers come from a
    forkserver, which imports the calling program's main script again: a script that calls
    this (through ``cvd materialize`` or Dagster, whose entry points are guarded) must keep its
    top-level code under ``if __name__ == "__main__":``."""
    workers = min(workers or default_workers(), len(days))
    if workers <= 1:
        for day in days:
            yield build_and_publish(archive, lake_dir, day, ledger_url)
        return
    # forkserver: a clean child, not a copy of a process that holds Dagster's threads and locks
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ingest.days"])
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        # map keeps the order of days; each result is small (the rows are in the lake already)
        build = partial(build_and_publish, archive, lake_dir, ledger_url=ledger_url)
        yield from pool.map(build, days)
