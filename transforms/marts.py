"""Materialized marts: sales per interval and per day, rebuilt by month of the interval's end read.

Sales intervals run between consecutive reads of a machine in machine-clock order, so a late file
can slip a read between two known ones. Every interval is therefore filed under the month of its
*end* read (``lake/marts/<table>/end_month=YYYY-MM/``, immutable versions as in
:mod:`transforms.lake`): a read at time t changes only
the interval it ends and the one that now starts at it, both ending in month(t) or later. A run
rebuilds the months from the earliest read time among the arrival days it wrote, never the rest
of history, and only for the machines whose raw partitions changed, reading the wide raw tables
from the days that hold their reads (:mod:`transforms.read_days`). Each month is computed by
DuckDB from the raw lake (``sql/build/*.sql``), spread over days in Polars
(:mod:`transforms.spread`) and written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import polars as pl

from transforms.catalog import MASTER_VIEWS, RAW_VIEWS, SQL_DIR, view_sql
from transforms.engine import EngineConfig, connect
from transforms.lake import Location, current_file, matching, publish, read_schema, write_table
from transforms.lake import partition_path as raw_partition
from transforms.objectstore import register, uri
from transforms.read_days import days_by_month, index_reads, wide_sources
from transforms.spread import spread_daily
from transforms.touched import (
    MACHINE_TABLES,
    SCOPE,
    machines_to_rebuild,
    raw_versions,
    reads_table,
    scoped,
    write_record,
)

MARTS_DIR = "marts"
FCT_SLOT_SALES = "fct_slot_sales"
FCT_DAILY_SALES_PARTS = "fct_daily_sales_parts"
MATERIALIZED: tuple[str, ...] = (FCT_SLOT_SALES, FCT_DAILY_SALES_PARTS)
# the raw partition versions the months were last built from (transforms/touched.py)
RECORD = "_sources.json"


@dataclass
class MartsReport:
    """What a refresh rebuilt."""

    months: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    machines: int | None = None  # machines recomputed in those months (None: all)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATERIALIZED, 0))


def month_dir(lake: Location, table: str, month: str) -> Location:
    """The dataset of ``table`` holding the intervals that end in ``month`` (YYYY-MM)."""
    return lake / MARTS_DIR / table / f"end_month={month}"


def schema_path(lake: Location, table: str) -> Location:
    """A zero-row file with the table's columns, so catalog views work before any data."""
    return lake / MARTS_DIR / table / "_schema.parquet"


def raw_connection(
    lake: Location,
    engine: EngineConfig | None = None,
    raw: tuple[str, ...] = RAW_VIEWS,
    master: bool = True,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the catalog's ``raw`` views (``dex_reads`` first) and, with
    ``master``, the master views over ``lake``, held to ``engine``'s memory limit and spilling
    to its temporary directory. A view is bound when created, which reads the footer of
    every file it spans: a build leaves out the views it does not read."""
    con = register(connect(engine), lake)
    for name in raw:
        con.execute(view_sql("raw", name, lake))
    # dex_reads deduplicates every read of the fleet over all its files at each use, and a
    # refresh uses it many times (each month's chain, the other raw views' filter, the
    # changed machines): computed once here, from the same files the view was given
    con.execute("CREATE TEMP TABLE reads_kept AS SELECT * FROM main.dex_reads")
    con.execute("CREATE OR REPLACE VIEW main.dex_reads AS SELECT * FROM temp.reads_kept")
    for name in MASTER_VIEWS if master else ():
        if (lake / "master" / name).is_dir():  # a dataset folder once master data is synced
            con.execute(view_sql("master", name, lake))
    return con


# `{part}`: the CTEs of sql/build/<part>.sql; `{lake}` and `{files:...}` are view_sql's
_PART = re.compile(r"\{(?!lake\})([a-z0-9_]+(?:/[a-z0-9_]+)*)\}")


def model_sql(name: str) -> str:
    """The SQL of ``sql/build/<name>.sql``, each ``{part}`` placeholder replaced by the CTEs of
    ``sql/build/<part>.sql``: ``{read_chain}`` (the order of a machine's reads, shared with
    transforms/checks.py), ``{stockouts/01_slot_intervals}`` (one step of a model split by its
    steps). ``{lake}`` and ``{files:...}`` are left for :func:`transforms.catalog.view_sql`."""
    text = (SQL_DIR / "build" / f"{name}.sql").read_text()
    return _PART.sub(lambda match: model_sql(match.group(1)), text)


def _month(moment: date | datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1)
    end = datetime(year + mon // 12, mon % 12 + 1, 1)
    return start, end


def months_with_reads(con: duckdb.DuckDBPyConnection, since: datetime | None) -> list[str]:
    """Months (YYYY-MM) holding a placeable read at or after ``since`` (all when None)."""
    rows = con.execute(
        "SELECT DISTINCT strftime(read_at, '%Y-%m') FROM dex_reads "
        "WHERE read_at IS NOT NULL AND ($since IS NULL OR read_at >= $since) ORDER BY 1",
        {"since": since},
    ).fetchall()
    return [r[0] for r in rows]


def earliest_read_of_days(
    lake: Location, days: Iterable[str], engine: EngineConfig | None = None
) -> datetime | None:
    """The earliest machine read time among the raw ``dex_reads`` partitions of ``days``."""
    files = [uri(p) for d in days if (p := raw_partition(lake, "dex_reads", d)).exists()]
    if not files:
        return None
    con = register(connect(engine), lake)
    try:
        row = con.execute("SELECT min(read_at) FROM read_parquet($files)", {"files": files})
        found = row.fetchone()
    finally:
        con.close()
    return found[0] if found else None


def build_month(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, pl.DataFrame]:
    """Interval and daily sales of the intervals that end in ``month``."""
    start, end = _month_bounds(month)
    sales = con.sql(
        model_sql(FCT_SLOT_SALES), params={"window_start": start, "window_end": end}
    ).pl()
    decimals = con.sql(
        "SELECT read_id, coalesce(decimals, 2) AS decimals FROM dex_reads "
        "WHERE read_at >= $s AND read_at < $e",
        params={"s": start, "e": end},
    ).pl()
    return {
        FCT_SLOT_SALES: sales,
        FCT_DAILY_SALES_PARTS: spread_daily(sales, decimals),
    }


def refresh_marts(
    lake: Location, days: list[str] | None = None, engine: EngineConfig | None = None
) -> MartsReport:
    """Rebuild the month partitions touched by the arrival ``days`` (every month when None),
    on connections held to ``engine``'s limits.

    Months are rebuilt from the earliest read time found in those days' raw partitions onwards,
    because an inserted read changes the interval it ends and the next one, never earlier ones.
    """
    report = MartsReport()
    # the sales marts read the raw tables keyed by machine only, and no master data
    con = raw_connection(lake, engine, MACHINE_TABLES, master=False)
    try:
        if not schema_path(lake, FCT_SLOT_SALES).exists():
            _write_empty_schemas(con, lake)  # views and checks resolve before any read lands
        live = raw_versions(lake)  # taken first: a day rebuilt meanwhile is seen next time
        since = None if days is None else earliest_read_of_days(lake, days, engine)
        if days is not None and since is None:
            return report  # the run wrote no placeable read: nothing can have changed
        record = lake / MARTS_DIR / FCT_SLOT_SALES / RECORD
        # a machine's intervals and their daily spread depend on its own reads alone, so a day
        # recomputes the machines whose raw partitions changed and keeps the others' rows
        machines = None
        if days is not None:
            machines = machines_to_rebuild(con, lake, record, _build_sql(), live)
        report.machines = None if machines is None else len(machines)
        if machines and since is not None:  # a changed partition of another day may reach back
            since = min([since, *(t for t in machines.values() if t is not None)])
        months = months_with_reads(con, since)
        if machines is not None and len(machines) >= fleet_size(con):
            machines = None  # every machine changed: the unfiltered build is the cheaper one
        needed: dict[str, list[str]] = {}  # month -> arrival days holding its reads
        if machines:
            needed = _prepare_scope(con, lake, set(machines))
        for month in months:
            if machines is None:
                frames = build_month(con, month)
            else:
                # a read at t changes only intervals ending at t or later: a machine is
                # rebuilt from the month of its earliest changed read on
                scope = {m for m, t in machines.items() if t is None or _month(t) <= month}
                if not scope:
                    continue  # no machine changed this month: its stored version stays
                rebuilt = _rebuild_machines(con, lake, month, scope, needed.get(month, []))
                if rebuilt is None:
                    continue  # those machines had and have no interval ending in this month
                frames = rebuilt
            for table, frame in frames.items():
                publish(month_dir(lake, table, month), frame.to_arrow())
                if not schema_path(lake, table).exists():
                    write_table(schema_path(lake, table), frame.clear().to_arrow())
                report.rows[table] += frame.height
            report.months.append(month)
        # a month with no end read left (reads re-dated by a fix) must not keep old rows: it
        # gets an empty version (readers of an older catalog keep the files they knew)
        floor = _month(since) if since else ""
        for table in MATERIALIZED:
            for path in matching(lake / MARTS_DIR / table, "end_month=*"):
                month = path.name.removeprefix("end_month=")
                stored = current_file(path)
                if month >= floor and month not in months and stored and stored.exists():
                    publish(path, read_schema(stored).empty_table())
                    report.removed.append(f"{table}/{month}")
        write_record(record, _build_sql(), live)
    finally:
        con.close()
    return report


def fleet_size(con: duckdb.DuckDBPyConnection) -> int:
    """How many machines have reads in the lake."""
    ((count,),) = con.execute("SELECT count(DISTINCT machine_serial) FROM dex_reads").fetchall()
    return int(count)


def _build_sql() -> str:
    """The SQL a month is built with (its record's fingerprint: other SQL rebuilds all)."""
    return model_sql(FCT_SLOT_SALES)


def _prepare_scope(
    con: duckdb.DuckDBPyConnection, lake: Location, machines: set[str]
) -> dict[str, list[str]]:
    """Once per scoped run: the deduplicated reads of ``machines`` as a temporary table
    ``changed_reads`` (the catalog's view deduplicates every machine's reads at each use), and
    per month the arrival days holding the reads its intervals need
    (:mod:`transforms.read_days`)."""
    sources = reads_table(con, machines)
    index_reads(con, lake, machines)
    with scoped(con, machines, ("dex_reads",), sources):
        return days_by_month(con, model_sql("read_days"))


def _rebuild_machines(
    con: duckdb.DuckDBPyConnection,
    lake: Location,
    month: str,
    machines: set[str],
    days: list[str],
) -> dict[str, pl.DataFrame] | None:
    """``month`` of every materialized table: ``machines`` computed again (over views holding
    their rows only, the wide raw tables read from ``days``' partitions: those holding the
    month's reads of ``machines`` and the reads before them), every other machine's stored
    rows kept; None when ``machines`` have no read in ``month`` (``days`` is empty) and no
    stored row: the stored version is then what a rebuild would write."""
    if not days and not _has_rows(con, month_dir(lake, FCT_SLOT_SALES, month), machines):
        return None  # the daily parts are spread from these intervals: none there either
    # changed_reads: the reads of every machine the run rebuilds (_prepare_scope)
    sources = {"dex_reads": "temp.changed_reads", **wide_sources(lake, days, SCOPE)}
    with scoped(con, machines, MACHINE_TABLES, sources):
        fresh = build_month(con, month)
    out = {}
    for table, frame in fresh.items():
        stored = current_file(month_dir(lake, table, month))
        if stored is None or not stored.exists():
            out[table] = frame
            continue
        kept = con.sql(
            # no hive columns: end_month=... is the folder, not a column of the files
            "SELECT * FROM read_parquet($f, hive_partitioning = false) "
            "WHERE NOT list_contains($m, machine_serial)",
            params={"f": uri(stored), "m": sorted(machines)},
        ).pl()
        out[table] = pl.concat([kept, frame.cast(kept.schema)], how="vertical")
    return out


def _has_rows(con: duckdb.DuckDBPyConnection, folder: Location, machines: set[str]) -> bool:
    """Whether the live version in ``folder`` holds a row of ``machines``."""
    stored = current_file(folder)
    if stored is None or not stored.exists():
        return False
    found = con.execute(
        "SELECT 1 FROM read_parquet($f, hive_partitioning = false) "
        "WHERE list_contains($m, machine_serial) LIMIT 1",
        {"f": uri(stored), "m": sorted(machines)},
    ).fetchall()
    return bool(found)


def _write_empty_schemas(con: duckdb.DuckDBPyConnection, lake: Location) -> None:
    """Zero-row files for a lake without reads yet, so the catalog's views still resolve."""
    frames = build_month(con, "1900-01")
    for table, frame in frames.items():
        write_table(schema_path(lake, table), frame.clear().to_arrow())
