"""Cash accountability marts: every collection against the machine's own cash counters.

The collections themselves (when, which machine, what the driver counted, the manager's
reconciliation) live in the operational database; the edge snapshots them into the lake
(``lake/master/cash_collections``, :func:`publish_collections`) at every run. The marts are
whole-history (a collection's interval reaches back to the machine's previous collection) and
small, so they are recomputed whole from the lake and published as one dataset each
(``lake/marts/<name>/``); their SQL is in ``sql/build/`` and the formula in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from transforms.catalog import view_sql
from transforms.derived import dataset, derived_sql, source_connection
from transforms.lake import arrow_schema, publish, write_schema_file
from transforms.marts import MARTS_DIR

CASH_COLLECTIONS = "cash_collections"
MASTER_DATASET = f"master/{CASH_COLLECTIONS}"
FCT_CASH_COLLECTIONS = "fct_cash_collections"
# computed in this order: the weekly rollups read fct_cash_collections
CASH_MARTS: tuple[str, ...] = (
    FCT_CASH_COLLECTIONS,
    "cash_by_driver_week",
    "cash_by_route_week",
    "cashless_share_by_machine",
)
_S, _I, _TS = pa.string(), pa.int64(), pa.timestamp("us")
COLLECTION_SCHEMA = arrow_schema(
    [
        ("collection_id", _I),
        ("machine_serial", _S),
        ("asset_number", _S),
        ("route_code", _S),
        ("driver", _S),
        ("bag", _S),
        ("source", _S),
        ("collected_at", _TS),
        ("counted_bills_cents", _I),
        ("counted_coins_cents", _I),
        ("counted_cents", _I),
        ("adjusted_cents", _I),
        ("reconcile_state", _S),
        ("reconcile_note", _S),
    ]
)


def publish_collections(lake: Path, rows: Sequence[dict[str, Any]]) -> int:
    """Publish the operational database's collections (rows with the columns of
    :data:`COLLECTION_SCHEMA`) as the lake's ``master/cash_collections``; returns the rows."""
    table = pa.Table.from_pylist(list(rows), schema=COLLECTION_SCHEMA)
    publish(lake / MASTER_DATASET, table)
    write_schema_file(lake, MASTER_DATASET, COLLECTION_SCHEMA)
    return table.num_rows


def refresh_cash(lake: Path) -> dict[str, int]:
    """Recompute every cash mart from the lake and publish each as a new version; returns the
    rows per mart. Without a collections snapshot yet, the collections are none."""
    write_schema_file(lake, MASTER_DATASET, COLLECTION_SCHEMA)
    rows: dict[str, int] = {}
    con = source_connection(lake)
    try:
        con.execute(view_sql("master", CASH_COLLECTIONS, lake))
        for name in CASH_MARTS:
            table = con.sql(derived_sql(name, lake)).to_arrow_table()
            con.register(name, table)
            publish(dataset(lake, name), table)
            write_schema_file(lake, f"{MARTS_DIR}/{name}", table.schema)
            rows[name] = table.num_rows
    finally:
        con.close()
    return rows


def ensure_cash_schemas(lake: Path) -> None:
    """Zero-row schema files for the collections snapshot and every cash mart that has none,
    so the catalog's views resolve before the cash marts are first built."""
    write_schema_file(lake, MASTER_DATASET, COLLECTION_SCHEMA)
    if all((dataset(lake, n) / "_schema.parquet").exists() for n in CASH_MARTS):
        return
    con = source_connection(lake)
    try:
        con.execute(view_sql("master", CASH_COLLECTIONS, lake))
        for name in CASH_MARTS:
            empty = con.sql(derived_sql(name, lake)).limit(0).to_arrow_table()
            con.register(name, empty)
            write_schema_file(lake, f"{MARTS_DIR}/{name}", empty.schema)
    finally:
        con.close()
