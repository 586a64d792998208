"""Which arrival days' raw partitions a scoped build has to read.

The raw tables are partitioned by arrival day, and a read of any month may arrive on any day
(a late file, a re-parse), so a month built over the raw views scans every day's files. When a
run recomputes some intervals only (:mod:`transforms.marts`: those ending at the reads a
changed partition touched), the wide tables are needed only for their two reads. ``dex_reads``
(one row a read) is small: its rows of the changed machines, with the day of the partition each
came from (:func:`index_reads`), tell exactly which days hold those reads (a read's rows of
every raw table are written by the build of the day it arrived on, ``ingest/days.py``), so the
wide tables are read from those days' partitions only. Reading more days would give the same
rows; the days are chosen from the reads themselves, so none is missed.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from transforms.catalog import files_literal
from transforms.lake import Location, current_files, partition_path
from transforms.objectstore import uri

# the raw tables keyed by read that a scoped build reads through views over some days'
# partitions (dex_reads itself stays whole for the machines: a chain needs all their reads)
WIDE: tuple[str, ...] = ("dex_selection_counters", "dex_events", "dex_payment_totals")


def index_reads(con: duckdb.DuckDBPyConnection, lake: Location, machines: Iterable[str]) -> None:
    """Create the temporary table ``read_files`` (read_id, day): every row of ``dex_reads`` of
    ``machines`` with the arrival day of the partition it is in (duplicates of a read in two
    days give both, which only adds a day)."""
    files = [uri(f) for f in current_files(lake / "dex_reads")]
    con.execute("CREATE OR REPLACE TEMP TABLE read_files (read_id VARCHAR, day VARCHAR)")
    if not files:
        return
    con.execute(
        "INSERT INTO read_files SELECT read_id, "
        "regexp_extract(filename, 'received_date=([^/]+)/', 1) "
        "FROM read_parquet($files, filename = true, hive_partitioning = false, "
        "union_by_name = true) WHERE list_contains($m, machine_serial)",
        {"files": files, "m": sorted(machines)},
    )


def wide_sources(
    lake: Location, days: Iterable[str] | None, scope: str, reads: str | None = None
) -> dict[str, str]:
    """For each of :data:`WIDE`: the relation a scoped view filters instead of the catalog's
    raw view, the same view over ``days``' partitions only (None: every day; and the schema
    file, so the columns are the full view's even when no day is left), kept to the reads of
    the scoped ``dex_reads`` (in schema ``scope``), not the catalog's deduplication of every
    machine's reads, or to the read ids of the relation ``reads``."""
    out = {}
    for table in WIDE:
        if days is None:
            files = current_files(lake / table)
        else:
            files = [p for d in sorted(set(days)) if (p := partition_path(lake, table, d)).exists()]
        schema = lake / table / "_schema.parquet"
        if schema.exists():
            files.append(schema)
        if not files:
            continue  # a lake without the table's files: the catalog's view stays
        out[table] = (
            f"(SELECT * FROM read_parquet({files_literal(files)}, union_by_name = true) "  # noqa: S608
            f"WHERE read_id IN (SELECT read_id FROM {reads or f'{scope}.dex_reads'}))"
        )
    return out
