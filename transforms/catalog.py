"""The warehouse catalog: a DuckDB file of views over the lake, rebuilt and swapped atomically.

Readers (dashboards, analysts, `cvd sql`) open ``warehouse.duckdb`` read-only. The file holds no
data, only views over ``$CVD_HOME/lake``, so it is rebuilt whole in a temporary file and renamed
over the old one: a reader that has the old file open keeps it, a new reader gets the new one, and
no one ever waits for a lock.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import duckdb

from transforms.lake import (
    Location,
    atomic_write_bytes,
    atomic_write_json,
    current_files,
    read_text,
)
from transforms.objectstore import register, uri

SQL_DIR = Path(__file__).parent / "sql"

# Views in dependency order, each built from the .sql file of the same name.
RAW_VIEWS: tuple[str, ...] = (
    "dex_reads",
    "dex_files",
    "dex_selection_counters",
    "dex_payment_totals",
    "dex_events",
    "quarantine",
)
MASTER_VIEWS: tuple[str, ...] = (
    "products",
    "locations",
    "routes",
    "devices",
    "cabinets",
    "planogram_slots",
    "planogram_history",
    # a machine known only from DEX: its planogram observed from PA1, and the one models use
    "observed_planogram",
    "effective_planogram",
    "cash_collections",
    "recommendation_decisions",
)
MART_VIEWS: tuple[str, ...] = (
    "fct_slot_sales",
    "fct_daily_sales",
    "fct_slot_sales_by_slot",
    "fct_stockouts",
    "fleet_clock",
    "slot_status",
    "machine_health",
    "sales_daily_enriched",
    "sales_by_product_day",
    "sales_by_location_day",
    "sales_by_route_day",
    "sales_by_product_week",
    "revenue_per_machine_day",
    "sell_through",
    "stockout_lost_share",
    "planogram_vs_dex",
    "fct_cash_collections",
    "cash_by_driver_week",
    "cash_by_route_week",
    "cashless_share_by_machine",
)
# Model outputs (issue 7): datasets under lake/ml/, schemas in models/output_schemas.py.
ML_VIEWS: tuple[str, ...] = (
    "demand_forecast",
    "forecast_backtest",
    "model_versions",
    "planogram_recommendations",
    "service_scores",
    "service_plan",
    "service_plan_picks",
    "service_plan_route_picks",
    "recommendation_log",
    "recommendation_outcomes",
)
CATALOG: tuple[tuple[str, str], ...] = tuple(
    [("raw", v) for v in RAW_VIEWS]
    + [("master", v) for v in MASTER_VIEWS]
    + [("marts", v) for v in MART_VIEWS]
    + [("ml", v) for v in ML_VIEWS]
)


SNAPSHOT_DIR = "_catalog"
# not the datasets' pointer name (``_current``): the snapshot is no dataset of Parquet versions,
# and whatever walks the lake's datasets (the catalog, the garbage collection) must not see it
SNAPSHOT_POINTER = "_latest"
SNAPSHOT_FORMAT = 1
_FILES = re.compile(r"\{files:([A-Za-z0-9_/]+)\}")


def _quoted(path: Location) -> str:
    return "'" + uri(path).replace("'", "''") + "'"


def file_list(lake: Location, dataset: str) -> str:
    """A DuckDB list literal of the live versions of ``dataset`` (a folder below the lake),
    plus its schema file where it has one, so the list is never empty for a raw table."""
    files = current_files(lake / dataset)
    schema = lake / dataset / "_schema.parquet"
    if schema.exists():
        files.append(schema)
    return files_literal(files)


def files_literal(files: list[Location]) -> str:
    """A DuckDB list literal of ``files`` (each quoted)."""
    return "[" + ", ".join(_quoted(f) for f in files) + "]"


def view_sql(folder: str, name: str, lake: Location) -> str:
    """The SQL of one view, ``sql/<folder>/<name>.sql``, placed on ``lake``
    (:func:`on_lake`)."""
    return on_lake((SQL_DIR / folder / f"{name}.sql").read_text(), lake)


def on_lake(text: str, lake: Location) -> str:
    """``text`` with ``{files:T}`` replaced by the list of the live files of dataset ``T``
    (immutable versions: a reader of the previous catalog keeps reading the files it knew)
    and ``{lake}`` by the lake path."""
    text = _FILES.sub(lambda match: file_list(lake, match.group(1)), text)
    return text.replace("{lake}", uri(lake).replace("'", "''"))


def lake_connection(
    lake: Location, folders: tuple[str, ...] = ("raw", "master", "marts")
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the catalog's views of ``folders`` over ``lake``: what a writer
    (a model asset) queries, so it never needs ``warehouse.duckdb`` nor waits for its rebuild."""
    con = register(duckdb.connect(), lake)
    for folder, name in CATALOG:
        if folder in folders:
            con.execute(view_sql(folder, name, lake))
    return con


def build_catalog(lake: Location, target: Path) -> list[str]:
    """Write every view into a new DuckDB file and rename it over ``target``; returns the views.
    Every dataset has at least a zero-row schema file, so a view that fails is a real error.

    The same views are then published in the lake as a snapshot (:func:`publish_snapshot`),
    last: a reader on another machine that starts from it sees this run whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    built: list[str] = []
    views: dict[str, str] = {}
    try:
        con = register(duckdb.connect(str(tmp)), lake)
        try:
            for folder, name in CATALOG:
                views[name] = view_sql(folder, name, lake)
                con.execute(views[name])
                built.append(name)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    publish_snapshot(lake, views)
    return built


def publish_snapshot(lake: Location, views: dict[str, str]) -> Location:
    """Publish the catalog's views (their SQL, naming immutable file versions) as one object,
    ``_catalog/v-<ns>.json``, then point ``_catalog/_latest`` at it. The pointer is the one
    object a reader reads first: everything it names was written before it, so the snapshot
    is never half published, whichever datasets a run is still writing."""
    folder = lake / SNAPSHOT_DIR
    name = f"v-{time.time_ns():020d}-{os.getpid()}.json"
    atomic_write_json(folder / name, {"format": SNAPSHOT_FORMAT, "views": views})
    atomic_write_bytes(folder / SNAPSHOT_POINTER, name.encode())
    return folder / name


def snapshot_connection(lake: Location) -> duckdb.DuckDBPyConnection:
    """An in-memory read-only view of the lake as the last finished catalog build left it:
    the pointer first, then the snapshot it names (both immutable once written). What a
    reader with no ``warehouse.duckdb`` of its own (another machine) opens. Raises
    ``FileNotFoundError`` before any catalog was built."""
    folder = lake / SNAPSHOT_DIR
    name = read_text(folder / SNAPSHOT_POINTER).strip()
    doc = json.loads(read_text(folder / name))
    con = register(duckdb.connect(), lake)
    for sql in doc["views"].values():
        con.execute(sql)
    return con


def open_warehouse(path: Path, lake: Location | None) -> duckdb.DuckDBPyConnection:
    """``warehouse.duckdb`` opened read-only, able to read the lake its views name (in object
    storage, through the registered filesystem)."""
    con = duckdb.connect(str(path), read_only=True)
    return con if lake is None else register(con, lake)
