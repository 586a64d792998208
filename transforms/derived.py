"""Derived marts, materialized once per run after the sales marts so that readers scan files.

``fct_daily_sales`` (the daily parts summed per machine, selection, product and day) is stored by
month of ``sales_date`` and bucket of machines
(``lake/marts/fct_daily_sales/sales_month=YYYY-MM/bucket=KK/``, :mod:`transforms.buckets`) and
rebuilt only where its parts changed: a manifest (``_sources.json``) remembers which version of
each bucket of the ``fct_daily_sales_parts`` end months the stored days were summed from, and
the days it covered, so a run re-sums the days covered by the parts it replaced (old and new),
never the rest of history, each month from the parts whose days meet it, and there only the
machines those parts recomputed (named in each version's metadata), in their own buckets.

The whole-history marts (``fleet_clock``, ``fct_stockouts``, ``slot_status``, ``machine_health``,
``stockout_lost_share``, and ``revenue_per_machine_day``: machines × days, carrying master data)
have small outputs but depend on every interval of a slot (a slot's demand rate, its last read)
or on master data that may change, so they are recomputed whole from the lake at every run
and published as one dataset each (``lake/marts/<name>/``). Their SQL is in ``sql/build/``;
the catalog's views are plain ``read_parquet`` over these datasets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import polars as pl
import pyarrow as pa

from transforms.buckets import (
    buckets_of,
    publish_month,
    rebuilt_since,
    split,
    stored_files,
    stored_whole,
)
from transforms.catalog import files_literal, on_lake, view_sql
from transforms.engine import EngineConfig
from transforms.lake import (
    CURRENT,
    Location,
    atomic_write_json,
    current_file,
    matching,
    publish,
    read_text,
    write_schema_file,
)
from transforms.marts import (
    FCT_DAILY_SALES_PARTS,
    FCT_SLOT_SALES,
    MARTS_DIR,
    fleet_size,
    model_sql,
    raw_connection,
    stored_rows,
)
from transforms.objectstore import uri
from transforms.read_days import wide_sources
from transforms.touched import (
    MACHINE_TABLES,
    SCOPE,
    machines_to_rebuild,
    raw_versions,
    reads_table,
    scoped,
    write_record,
)

FCT_DAILY_SALES = "fct_daily_sales"
# computed in this order: each may read the ones before it
WHOLE_HISTORY: tuple[str, ...] = (
    "fleet_clock",
    "fct_stockouts",
    "slot_status",
    "machine_health",
    "stockout_lost_share",
    "revenue_per_machine_day",
)
DERIVED: tuple[str, ...] = (FCT_DAILY_SALES, *WHOLE_HISTORY)
# whole-history marts that are a function of each machine's own rows (no master data, no
# fleet-wide value such as fleet_clock): rebuilt only for the machines whose raw partitions
# changed since they were built (transforms/touched.py), the other machines' rows kept
PER_MACHINE: tuple[str, ...] = ("fct_stockouts",)
MANIFEST = "_sources.json"
_NO_DAYS = (date(1900, 1, 1), date(1900, 1, 1))


@dataclass
class DerivedReport:
    """What a refresh rebuilt: the sales months re-summed and the rows of each dataset."""

    sales_months: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    # per PER_MACHINE mart: how many machines were recomputed (None: all of them)
    machines: dict[str, int | None] = field(default_factory=dict)


def dataset(lake: Location, name: str) -> Location:
    """The folder of derived mart ``name`` below the lake."""
    return lake / MARTS_DIR / name


def derived_sql(name: str, lake: Location) -> str:
    """The SELECT of derived mart ``name``: its steps composed (:func:`transforms.marts.model_sql`)
    and its ``{files:...}`` placeholders resolved."""
    return on_lake(model_sql(name), lake)


def source_connection(
    lake: Location, engine: EngineConfig | None = None
) -> duckdb.DuckDBPyConnection:
    """The raw views, the master views that exist (:func:`transforms.marts.raw_connection`) and
    ``fct_slot_sales``: everything the derived marts are computed from, on a connection held
    to ``engine``'s limits."""
    con = raw_connection(lake, engine)
    con.execute(view_sql("marts", FCT_SLOT_SALES, lake))
    return con


def refresh_derived(
    lake: Location, whole: tuple[str, ...] = WHOLE_HISTORY, engine: EngineConfig | None = None
) -> DerivedReport:
    """Re-sum the months of ``fct_daily_sales`` whose parts changed, then recompute ``whole``
    (by default every whole-history mart) and publish each as a new version, on a connection
    held to ``engine``'s limits."""
    report = DerivedReport()
    con = source_connection(lake, engine)
    try:
        # taken first: a partition rebuilt while this runs counts as changed next time
        live = raw_versions(lake) if set(whole) & set(PER_MACHINE) else {}
        report.sales_months, report.rows[FCT_DAILY_SALES] = _refresh_daily(con, lake)
        con.execute(view_sql("marts", FCT_DAILY_SALES, lake))  # the months just stored
        for name in whole:
            if name in PER_MACHINE:
                table, machines = _refresh_per_machine(con, lake, name, live)
                report.machines[name] = machines
            else:
                table = con.sql(derived_sql(name, lake)).to_arrow_table()
                publish(dataset(lake, name), table)
            con.register(name, table)  # the next ones read it
            write_schema_file(lake, f"{MARTS_DIR}/{name}", table.schema)
            report.rows[name] = table.num_rows
    finally:
        con.close()
    return report


def ensure_derived_schemas(lake: Location) -> None:
    """Write the zero-row schema file of every derived mart that has none yet, so the
    catalog's views resolve before the derived marts are first built."""
    missing = [n for n in DERIVED if not (dataset(lake, n) / "_schema.parquet").exists()]
    if not missing:
        return
    con = source_connection(lake)
    try:
        params = {"first": _NO_DAYS[0], "until": _NO_DAYS[1]}
        for name in DERIVED:  # in order: later ones read the earlier ones
            sql = derived_sql(name, lake)
            relation = con.sql(sql, params=params if name == FCT_DAILY_SALES else None)
            empty = relation.limit(0).to_arrow_table()
            con.register(name, empty)
            if name in missing:
                write_schema_file(lake, f"{MARTS_DIR}/{name}", empty.schema)
    finally:
        con.close()


def _refresh_per_machine(
    con: duckdb.DuckDBPyConnection, lake: Location, name: str, live: dict[str, str]
) -> tuple[pa.Table, int | None]:
    """Mart ``name`` (one of PER_MACHINE) recomputed for the machines whose raw partitions
    changed since its stored version was built, the stored rows of the others kept; recomputed
    whole when that cannot be told (no record, other SQL, an old partition gone). Publishes a
    new version when anything changed; returns the table and how many machines were
    recomputed (None: all)."""
    root = dataset(lake, name)
    sql = derived_sql(name, lake)
    stored = current_file(root)
    machines = None
    if stored is not None and stored.exists():
        machines = machines_to_rebuild(con, lake, root / MANIFEST, sql, live)
    if machines is not None and len(machines) >= fleet_size(con):
        machines = None  # every machine changed: the unfiltered query is the cheaper one
    if machines is None:
        table = con.sql(sql).to_arrow_table()
    else:
        assert stored is not None
        kept = con.sql(
            "SELECT * FROM read_parquet($f) WHERE NOT list_contains($m, machine_serial)",
            params={"f": uri(stored), "m": sorted(machines)},
        ).to_arrow_table()
        if not machines:
            return kept, 0  # nothing changed: the stored version stays
        # every day's partitions: a slot's stock-outs span its machine's whole history
        sources = {**reads_table(con, machines), **wide_sources(lake, None, SCOPE)}
        with scoped(con, machines, (*MACHINE_TABLES, FCT_SLOT_SALES), sources):
            fresh = con.sql(sql).to_arrow_table()
        table = pa.concat_tables([kept, fresh.cast(kept.schema)])
    publish(root, table)
    write_record(root / MANIFEST, sql, live)
    return table, None if machines is None else len(machines)


def _months(first: date, last: date) -> list[str]:
    """Every month (YYYY-MM) from the one of ``first`` to the one of ``last``."""
    out, year, mon = [], first.year, first.month
    while (year, mon) <= (last.year, last.month):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = year + mon // 12, mon % 12 + 1
    return out


def _parts_versions(lake: Location) -> dict[str, str]:
    """``end_month=M/bucket=K`` -> the live version (file name) of every bucket of the daily
    parts."""
    out = {}
    for month in matching(dataset(lake, FCT_DAILY_SALES_PARTS), "end_month=*"):
        for live in stored_files(month):
            out[f"{month.name}/{live.parent.name}"] = live.name
    return out


def _below(root: Location, key: str) -> Location:
    """The folder ``key`` (``end_month=M/bucket=K``) below ``root``."""
    month, bucket = key.split("/")
    return root / month / bucket


def _days_covered(con: duckdb.DuckDBPyConnection, path: Location) -> tuple[str, str] | None:
    """First and last ``sales_date`` in one parts file (from its Parquet statistics)."""
    (row,) = con.execute(
        "SELECT min(sales_date), max(sales_date) FROM read_parquet($f, hive_partitioning = false)",
        {"f": uri(path)},
    ).fetchall()
    if row[0] is None:
        return None
    return row[0].isoformat(), row[1].isoformat()


_PARTS_FILES = "{files:marts/fct_daily_sales_parts}"
_PARTS_SCAN = f"read_parquet({_PARTS_FILES}, union_by_name = true)"


def _parts_sql(
    lake: Location,
    sources: dict[str, dict[str, str]],
    first: date,
    until: date,
    buckets: set[str] | None = None,
) -> str:
    """``fct_daily_sales``'s SQL over the parts of the end months whose days (``first`` and
    ``last`` in ``sources``, the manifest) meet [``first``, ``until``), and the schema file;
    with ``buckets``, over those buckets' parts only, the rows of the machines in the list
    parameter ``$machines``."""
    root = dataset(lake, FCT_DAILY_SALES_PARTS)
    files: list[Location] = [
        _below(root, key) / source["version"]
        for key, source in sorted(sources.items())
        if source.get("first")
        and source["first"] < until.isoformat()
        and source["last"] >= first.isoformat()
        and (buckets is None or key.split("/")[1] in buckets)
    ]
    if (root / "_schema.parquet").exists():
        files.append(root / "_schema.parquet")
    text = model_sql(FCT_DAILY_SALES)
    assert _PARTS_SCAN in text  # the scan this narrows
    scan = f"read_parquet({files_literal(files)}, union_by_name = true)"
    if buckets is not None:
        # our own file list; the machines are a parameter
        scan = f"(SELECT * FROM {scan} WHERE list_contains($machines, machine_serial))"  # noqa: S608
    return on_lake(text.replace(_PARTS_SCAN, scan), lake)


# (first day, last day, machines whose rows changed: None for all) of a replaced parts version
_Span = tuple[str, str, set[str] | None]


def _refresh_daily(con: duckdb.DuckDBPyConnection, lake: Location) -> tuple[list[str], int]:
    """Re-sum the sales months touched by the parts buckets whose version changed: in each,
    only the machines recomputed in those buckets (:func:`transforms.buckets.rebuilt_since`),
    in their own buckets, the other buckets kept."""
    root = dataset(lake, FCT_DAILY_SALES)
    manifest_path = root / MANIFEST
    try:
        known: dict[str, dict[str, str]] = json.loads(read_text(manifest_path))
    except FileNotFoundError:
        known = {}
    parts_root = dataset(lake, FCT_DAILY_SALES_PARTS)
    if stored_whole(parts_root, "end_month=*"):
        return [], 0  # the parts are still stored whole: the sales marts convert them first
    if stored_whole(root, "sales_month=*"):
        known = {}  # months summed whole, before the buckets: all again
        for stored in matching(root, "sales_month=*"):  # their buckets replace them
            (stored / CURRENT).unlink(missing_ok=True)
    live = _parts_versions(lake)
    sources: dict[str, dict[str, str]] = {}
    touched: list[_Span] = []  # the spans of replaced and new parts
    for key, version in live.items():
        old = known.get(key)
        if old and old["version"] == version:
            sources[key] = old
            continue
        folder = _below(parts_root, key)
        machines = rebuilt_since(folder, old["version"] if old else None, version)
        if old and old.get("first"):
            touched.append((old["first"], old["last"], machines))
        covered = _days_covered(con, folder / version)
        sources[key] = {"version": version}
        if covered:
            sources[key] |= {"first": covered[0], "last": covered[1]}
            touched.append((*covered, machines))
    for key, old in known.items():  # a bucket gone from the lake
        if key not in live and old.get("first"):
            touched.append((old["first"], old["last"], None))
    schema_missing = not (root / "_schema.parquet").exists()
    if not touched and not schema_missing:
        return [], 0
    scopes = _month_scopes(touched)
    if not known:  # a first build, or one over months stored whole: every month
        scopes = dict.fromkeys(scopes, None)
    sql = derived_sql(FCT_DAILY_SALES, lake)
    schema = con.sql(sql, params={"first": _NO_DAYS[0], "until": _NO_DAYS[1]}).limit(0)
    empty = pl.from_arrow(schema.to_arrow_table())
    assert isinstance(empty, pl.DataFrame)
    write_schema_file(lake, f"{MARTS_DIR}/{FCT_DAILY_SALES}", empty.to_arrow().schema)
    rows = 0
    for month, machines in sorted(scopes.items()):
        # one month at a time: the days of a month sum only their own parts, and the peak
        # memory is one month's rows, not every touched month's (a full build: all history)
        folder = root / f"sales_month={month}"
        frames = _sum_month(con, lake, sources, month, machines=machines, folder=folder)
        rows += publish_month(folder, frames, machines, empty)
    atomic_write_json(manifest_path, sources)
    return sorted(scopes), rows


def _month_scopes(touched: list[_Span]) -> dict[str, set[str] | None]:
    """Month (YYYY-MM) -> the machines to re-sum there (None: all) from the spans of the
    replaced parts: the months of each span, not every month between the first and the last
    (a late read a year back touches its own month and today's, not the year between)."""
    scopes: dict[str, set[str] | None] = {}
    for first, last, machines in touched:
        for month in _months(date.fromisoformat(first), date.fromisoformat(last)):
            if month in scopes and scopes[month] is None:
                continue
            if machines is None:
                scopes[month] = None
            else:
                scopes[month] = (scopes.get(month) or set()) | machines
    return scopes


def _sum_month(
    con: duckdb.DuckDBPyConnection,
    lake: Location,
    sources: dict[str, dict[str, str]],
    month: str,
    *,
    machines: set[str] | None,
    folder: Location,
) -> dict[str, pl.DataFrame]:
    """Sales month ``month`` summed again from the parts whose days meet it, by bucket: every
    machine (``machines`` None), or every row of the buckets of ``machines``: those machines
    summed again beside the other machines' rows stored in ``folder``."""
    month_start = date.fromisoformat(f"{month}-01")
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    params: dict[str, object] = {"first": month_start, "until": month_end}
    if machines is None:
        sql = _parts_sql(lake, sources, month_start, month_end)
        return split(con.sql(sql, params=params).pl())
    names = set(buckets_of(machines))
    sql = _parts_sql(lake, sources, month_start, month_end, names)
    fresh = con.sql(sql, params={**params, "machines": sorted(machines)}).pl()
    stored = stored_files(folder, names)
    if not stored:
        return split(fresh)
    kept = stored_rows(con, stored, "NOT list_contains($m, machine_serial)", machines)
    assert kept is not None  # there are stored files
    return split(pl.concat([kept, fresh.cast(kept.schema)]))
