"""Build the raw lake partitions of many arrival days, on every core (Dask distributed).

A day's partition is a pure function of the archive (see :mod:`ingest.raw_tables`),
so days are independent: each worker parses its day and publishes that day's partitions; the
caller then writes what must stay in one process (quarantine records, new devices, the day's
manifest, last). A crash between a publish and its manifest leaves the day stale, so the next
run rebuilds it: nothing is lost and nothing doubles.
"""

from __future__ import annotations

import logging
import os
import resource
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster

from ingest.raw_tables import build_day
from transforms import lake
from transforms.lake import Location


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
    archive: Path,
    lake_dir: Location,
    day: str,
    blobs: Location | None = None,
    ledger_url: str | None = None,
) -> BuiltDay:
    """Parse the deliveries of ``day`` and publish its partition of every raw table."""
    result = build_day(archive, day, blobs, ledger_url)
    rows = {}
    for name, table in result.tables().items():
        lake.publish(lake.partition_dir(lake_dir, name, day), table)
        rows[name] = table.num_rows
    # a worker's peak is not in its parent's RUSAGE_CHILDREN (it is the cluster's process)
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
    lake_dir: Location,
    days: list[str],
    *,
    workers: int | None = None,
    blobs: Location | None = None,
    scheduler: str | None = None,
    ledger_url: str | None = None,
) -> Iterator[BuiltDay]:
    """Build every day of ``days``, yielding each as it is done, in the order of ``days``.

    The days are tasks on Dask distributed: on the cluster whose scheduler is at ``scheduler``
    (``tcp://host:8786``; its workers must reach the same archive and lake, i.e. object storage
    and a shared ledger), else on a local cluster of ``workers`` processes (one per core by
    default) started for this call and stopped after it. A single day, or a single worker with
    no scheduler, is built in this process: the sensor's usual run starts no cluster."""
    workers = min(workers or default_workers(), len(days))
    if scheduler is None and workers <= 1:
        for day in days:
            yield build_and_publish(archive, lake_dir, day, blobs, ledger_url)
        return
    with _client(workers, scheduler) as client:
        # pure=False: a day is rebuilt whenever asked, never taken from a cache of results
        build = partial(build_and_publish, archive, lake_dir, blobs=blobs, ledger_url=ledger_url)
        run = uuid.uuid4().hex[:8]  # keys of another run on a shared scheduler never collide
        futures = client.map(build, days, key=[f"build-day-{d}-{run}" for d in days], pure=False)
        for future in futures:  # in the order of days; each result is small
            yield future.result()
            future.release()  # type: ignore[no-untyped-call]  # distributed has no annotations


@contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[Client]:
    """A Dask client of the cluster at ``scheduler``, or of a local cluster of ``workers``
    single-threaded processes (parsing holds the GIL) that lives as long as the client."""
    if scheduler is not None:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]  # unannotated
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]  # distributed has no annotations
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]  # unannotated
    ):
        yield client
