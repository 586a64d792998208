"""Materialized marts: sales per interval and per day, rebuilt by month of the interval's end read.

Sales intervals run between consecutive reads of a machine in its chain (machine-clock order, or
the board's own read count), so a late file can slip a read between two known ones. Every
interval is therefore filed under the month of its *end* read
(``lake/marts/<table>/end_month=YYYY-MM/``, immutable versions as in :mod:`transforms.lake`).
An interval's rows are computed from its two reads alone, so a run that knows the chain the
stored months were built from (``lake/marts/_read_chain``, ``sql/build/chain_pairs.sql``)
rebuilds, for the machines whose raw partitions changed, only the months where one of their
pairs of consecutive reads appeared or went, or has a read whose raw rows changed
(``sql/build/months_to_rebuild.sql``): a late read a year back rebuilds its own month, not the
year after it. The other machines' rows are kept, and the wide raw tables are read from the
days that hold those reads only (:mod:`transforms.read_days`). Without that record a run
rebuilds every month from the earliest read time among its arrival days on. Each month is
computed by DuckDB from the raw lake (``sql/build/*.sql``), spread over days in Polars
(:mod:`transforms.spread`) and written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import polars as pl
import pyarrow as pa

from transforms.buckets import buckets_of, publish_month, split, stored_files, stored_whole
from transforms.catalog import MASTER_VIEWS, RAW_VIEWS, SQL_DIR, view_sql
from transforms.engine import EngineConfig, connect
from transforms.lake import (
    CURRENT,
    Location,
    current_file,
    matching,
    publish,
    read_schema,
    write_table,
)
from transforms.lake import partition_path as raw_partition
from transforms.objectstore import register, uri
from transforms.read_days import index_reads, wide_sources
from transforms.spread import spread_daily
from transforms.touched import (
    MACHINE_TABLES,
    SCOPE,
    changed_machines,
    files_since,
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
# the chain of reads the stored months were built from (sql/build/chain_pairs.sql): beside the
# tables, not below one, so that no catalog view lists it
CHAIN = "_read_chain"


@dataclass
class MartsReport:
    """What a refresh rebuilt."""

    months: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    machines: int | None = None  # machines recomputed in those months (None: all)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATERIALIZED, 0))


def month_dir(lake: Location, table: str, month: str) -> Location:
    """The folder of ``table`` holding the intervals that end in ``month`` (YYYY-MM), one
    dataset per machine bucket below it (:mod:`transforms.buckets`)."""
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

    A run that can tell what changed since the stored months were built (their record and the
    chain of reads they were built from) recomputes only the machines of the raw partitions
    that changed, in only the months where one of their intervals can differ
    (:func:`_months_to_rebuild`); otherwise the months from the earliest read time found in
    those days' raw partitions onwards, because an inserted read changes the interval it ends
    and the next one, never earlier ones.
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
        chain = current_file(lake / MARTS_DIR / CHAIN)
        if any(stored_whole(lake / MARTS_DIR / t, "end_month=*") for t in MATERIALIZED):
            days, since = None, None  # months stored whole, before the buckets: all again
        # a machine's intervals and their daily spread depend on its own reads alone, so a day
        # recomputes the machines whose raw partitions changed and keeps the others' rows
        plan: dict[str, set[str]] | None = None  # month -> machines to recompute there
        machines: set[str] | None = None
        if days is not None:
            files = files_since(lake, record, _build_sql(), live)
            found = changed_machines(con, files)
            if found and since is not None:
                # a changed partition of another day (a re-parse) may reach further back than
                # these days' reads, and a rebuild of every machine must start there
                since = min([since, *(t for t in found.values() if t is not None)])
            if chain is None or not chain.exists():
                found = None  # no chain to compare with: every machine
            if found is not None and len(found) < fleet_size(con):
                machines = set(found)
                assert chain is not None
                plan = _months_to_rebuild(con, chain, machines) if machines else {}
        report.machines = None if machines is None else len(machines)
        if plan is None:
            _rebuild_months(con, lake, months_with_reads(con, since), report)
            # a month with no end read left (reads re-dated by a fix) must not keep old rows:
            # it gets an empty version (readers of an older catalog keep the files they knew)
            _empty_months(lake, _month(since) if since else "", set(report.months), report)
            chain_table = con.sql(model_sql("chain_pairs")).to_arrow_table()
        else:
            # the reads of every recomputed machine once, and per month the arrival days
            # holding the reads its intervals need
            if plan:
                _prepare_scope(con, lake, set(machines or ()))
            for month, scope in sorted(plan.items()):
                rebuilt = _rebuild_intervals(con, lake, month, scope)
                _publish_month(lake, month, rebuilt, report, scope)
            chain_table = _chain_after(con, chain, machines) if machines and chain else None
        if chain_table is not None:  # after the months, before the record
            publish(lake / MARTS_DIR / CHAIN, chain_table)
        write_record(record, _build_sql(), live)
    finally:
        con.close()
    return report


def _rebuild_months(
    con: duckdb.DuckDBPyConnection, lake: Location, months: list[str], report: MartsReport
) -> None:
    """Build ``months`` for every machine and publish them."""
    for month in months:
        _publish_month(lake, month, build_month(con, month), report)


def _publish_month(
    lake: Location,
    month: str,
    frames: dict[str, pl.DataFrame],
    report: MartsReport,
    machines: set[str] | None = None,
) -> None:
    """Publish ``month`` of every materialized table, bucket by bucket
    (:func:`transforms.buckets.publish_month`): ``frames`` hold every row of the buckets of
    ``machines``, the machines recomputed (None: every machine, every bucket)."""
    for table, frame in frames.items():
        folder = month_dir(lake, table, month)
        report.rows[table] += publish_month(folder, split(frame), machines, frame.clear())
        if not schema_path(lake, table).exists():
            write_table(schema_path(lake, table), frame.clear().to_arrow())
    report.months.append(month)


def _empty_months(lake: Location, floor: str, built: set[str], report: MartsReport) -> None:
    """Publish an empty version of every stored bucket of every month from ``floor`` on that
    was not built (and drop the pointer of a month stored whole, before the buckets)."""
    for table in MATERIALIZED:
        for path in matching(lake / MARTS_DIR / table, "end_month=*"):
            month = path.name.removeprefix("end_month=")
            if month < floor or month in built:
                continue
            for stored in stored_files(path):
                # without the stored version's note: an empty version recomputed everyone
                empty = read_schema(stored).remove_metadata().empty_table()
                publish(stored.parent, empty)
                report.removed.append(f"{table}/{month}/{stored.parent.name}")
            if (path / CURRENT).exists():
                (path / CURRENT).unlink()
                report.removed.append(f"{table}/{month}")


def _months_to_rebuild(
    con: duckdb.DuckDBPyConnection, chain: Location, machines: set[str]
) -> dict[str, set[str]]:
    """Month -> the ``machines`` whose intervals ending in it can differ from the stored ones
    (``sql/build/months_to_rebuild.sql``): the chain of their reads now against the stored
    ``chain``, and the reads found in the changed raw partitions (``changed_rows``, left by
    :func:`transforms.touched.changed_machines`)."""
    with scoped(con, machines, ("dex_reads",)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE chain_now AS {model_sql('chain_pairs')}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chain_before AS "
        "SELECT * FROM read_parquet($f, hive_partitioning = false) "
        "WHERE list_contains($m, machine_serial)",
        {"f": uri(chain), "m": sorted(machines)},
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE affected_ends AS {model_sql('months_to_rebuild')}")
    plan: dict[str, set[str]] = {}
    for machine, month in con.execute(
        "SELECT DISTINCT machine_serial, end_month FROM affected_ends"
    ).fetchall():
        plan.setdefault(month, set()).add(machine)
    return plan


def _chain_after(con: duckdb.DuckDBPyConnection, chain: Location, machines: set[str]) -> pa.Table:
    """The stored chain with the rows of ``machines`` replaced by their chain now
    (``chain_now``, :func:`_months_to_rebuild`)."""
    return con.sql(
        "SELECT * FROM read_parquet($f, hive_partitioning = false) "
        "WHERE NOT list_contains($m, machine_serial) "
        "UNION ALL SELECT * FROM temp.chain_now",
        params={"f": uri(chain), "m": sorted(machines)},
    ).to_arrow_table()


def fleet_size(con: duckdb.DuckDBPyConnection) -> int:
    """How many machines have reads in the lake."""
    ((count,),) = con.execute("SELECT count(DISTINCT machine_serial) FROM dex_reads").fetchall()
    return int(count)


def _build_sql() -> str:
    """The SQL a month is built with (its record's fingerprint: other SQL rebuilds all)."""
    return model_sql(FCT_SLOT_SALES)


def _prepare_scope(con: duckdb.DuckDBPyConnection, lake: Location, machines: set[str]) -> None:
    """Once per scoped run: the deduplicated reads of ``machines`` as a temporary table
    ``changed_reads`` (the catalog's view deduplicates every machine's reads at each use), and
    the arrival day of each of their reads (``read_files``, :mod:`transforms.read_days`)."""
    reads_table(con, machines)
    index_reads(con, lake, machines)


def _rebuild_intervals(
    con: duckdb.DuckDBPyConnection, lake: Location, month: str, machines: set[str]
) -> dict[str, pl.DataFrame]:
    """``month`` of every materialized table with the intervals of ``machines`` that end at
    the reads in ``affected_ends`` for the month (:func:`_months_to_rebuild`) computed again,
    their other stored intervals and every other machine's rows kept. Only those intervals'
    two reads are read from the wide raw tables, from the days that hold them; the daily parts
    of ``machines`` are spread again from all their intervals of the month (the spread's
    hour-of-week profile is the machine's month)."""
    start, end = _month_bounds(month)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE month_ends AS SELECT DISTINCT read_id_end AS read_id "
        "FROM affected_ends WHERE end_month = $m",
        {"m": month},
    )
    # the reads whose counters the fresh intervals need: their end reads, the reads before
    con.execute(
        "CREATE OR REPLACE TEMP TABLE month_reads AS SELECT read_id FROM month_ends UNION "
        "SELECT now.read_id_start FROM chain_now AS now "
        "JOIN month_ends AS ends ON ends.read_id = now.read_id_end "
        "WHERE now.read_id_start IS NOT NULL"
    )
    days = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT day FROM read_files "
            "WHERE read_id IN (SELECT read_id FROM month_reads) ORDER BY 1"
        ).fetchall()
    ]
    sources = {
        "dex_reads": "temp.changed_reads",
        **wide_sources(lake, days, SCOPE, reads="temp.month_reads"),
    }
    window = {"window_start": start, "window_end": end}
    with scoped(con, machines, MACHINE_TABLES, sources):
        # an interval whose end read is not one of them may find its end read's counters
        # (the read before another) without its start read's: only theirs are kept
        fresh = con.sql(
            f"SELECT * FROM ({model_sql(FCT_SLOT_SALES)}) "  # noqa: S608 - our own model
            "WHERE read_id_end IN (SELECT read_id FROM temp.month_ends)",
            params=window,
        ).pl()
    # the buckets of the machines: every other bucket of the month stays as stored
    names = set(buckets_of(machines))
    stored_sales = stored_files(month_dir(lake, FCT_SLOT_SALES, month), names)
    stored_parts = stored_files(month_dir(lake, FCT_DAILY_SALES_PARTS, month), names)
    ends = con.execute("SELECT list(read_id) FROM month_ends").fetchall()[0][0]
    theirs = stored_rows(con, stored_sales, "list_contains($m, machine_serial) AND NOT "
                     "list_contains($e, read_id_end)", machines, ends)  # fmt: skip
    sales = fresh if theirs is None else pl.concat([theirs, fresh.cast(theirs.schema)])
    decimals = con.sql(
        "SELECT read_id, coalesce(decimals, 2) AS decimals FROM temp.changed_reads "
        "WHERE read_at >= $s AND read_at < $e",
        params={"s": start, "e": end},
    ).pl()
    frames = {FCT_SLOT_SALES: sales, FCT_DAILY_SALES_PARTS: spread_daily(sales, decimals)}
    out = {}
    for table, stored in ((FCT_SLOT_SALES, stored_sales), (FCT_DAILY_SALES_PARTS, stored_parts)):
        others = stored_rows(con, stored, "NOT list_contains($m, machine_serial)", machines)
        frame = frames[table]
        out[table] = frame if others is None else pl.concat([others, frame.cast(others.schema)])
    return out


def stored_rows(
    con: duckdb.DuckDBPyConnection,
    stored: list[Location],
    where: str,
    machines: set[str],
    ends: list[str] | None = None,
) -> pl.DataFrame | None:
    """The rows of the ``stored`` bucket versions that meet ``where`` (over the parameters
    ``$m``, the ``machines``, and ``$e``, the ``ends``), or None when there is none."""
    if not stored:
        return None
    params: dict[str, object] = {"f": [uri(f) for f in stored], "m": sorted(machines)}
    if ends is not None:
        params["e"] = ends
    # no hive columns: the month and bucket folders (k=v) are not columns of the files
    return con.sql(
        "SELECT * FROM read_parquet($f, hive_partitioning = false, union_by_name = true) "  # noqa: S608
        f"WHERE {where}",
        params=params,
    ).pl()


def _write_empty_schemas(con: duckdb.DuckDBPyConnection, lake: Location) -> None:
    """Zero-row files for a lake without reads yet, so the catalog's views still resolve."""
    frames = build_month(con, "1900-01")
    for table, frame in frames.items():
        write_table(schema_path(lake, table), frame.clear().to_arrow())
