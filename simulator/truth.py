"""Ground-truth Parquet tables, streamed to disk in row groups (memory stays bounded).

Times are naive timestamps (seconds): ``*_at`` columns are true time, ``machine_*`` columns the
device's own clock, as written in its DEX files. Money is int64 minor units (``*_cents``) with
``currency_decimals`` beside it: exact, no float.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake import arrow_schema

SLOT_DAY = "slot_day.parquet"
INTERVAL_SALES = "interval_sales.parquet"
STOCKOUTS = "stockouts.parquet"
READS = "reads.parquet"
EVENTS = "events.parquet"
DELIVERIES = "deliveries.parquet"
CASH_COLLECTIONS = "cash_collections.parquet"

ROW_BUFFER_LIMIT = 65_536
TS = pa.timestamp("s")
STR = pa.string()
I64 = pa.int64()

SCHEMAS: dict[str, pa.Schema] = {
    CASH_COLLECTIONS: arrow_schema([
        ("serial", STR), ("asset_number", STR), ("route_id", STR), ("driver", STR),
        ("bag", STR), ("collected_at", TS), ("machine_time", TS), ("read_id", STR),
        ("read_usable", pa.bool_()), ("previous_read_id", STR),
        ("previous_read_usable", pa.bool_()), ("first", pa.bool_()),
        ("cash_detail", pa.bool_()), ("expected_cents", I64), ("box_coins_cents", I64),
        ("bills_cents", I64), ("manual_dispensed_cents", I64), ("counted_cents", I64),
        ("counted_bills_cents", I64), ("counted_coins_cents", I64), ("variance_cents", I64),
        ("cause", STR), ("currency_decimals", pa.int8()),
    ]),
    SLOT_DAY: arrow_schema([
        ("serial", STR), ("asset_number", STR), ("cabinet_index", pa.int8()), ("slot", STR),
        ("selection", STR), ("product_id", STR), ("date", pa.date32()),
        ("true_demand", pa.float64()), ("demand_units", I64), ("units_sold", I64),
        ("revenue_cents", I64), ("currency_decimals", pa.int8()),
        ("stockout_minutes", pa.float64()), ("lost_units", I64), ("substituted_in", I64),
        ("substituted_out", I64), ("test_vends", I64), ("free_vends", I64),
    ]),
    INTERVAL_SALES: arrow_schema([
        ("serial", STR), ("asset_number", STR), ("selection", STR), ("product_id", STR),
        ("start_read_at", TS), ("end_read_at", TS), ("start_machine_time", TS),
        ("end_machine_time", TS), ("units_sold", I64), ("revenue_cents", I64),
        ("currency_decimals", pa.int8()), ("test_vends", I64), ("free_vends", I64),
        ("counter_basis", STR),
    ]),
    STOCKOUTS: arrow_schema([
        ("serial", STR), ("asset_number", STR), ("cabinet_index", pa.int8()), ("slot", STR),
        ("selection", STR), ("product_id", STR), ("start_at", TS), ("end_at", TS),
        ("minutes", pa.float64()), ("lost_units", I64),
    ]),
    READS: arrow_schema([
        ("read_id", STR), ("serial", STR), ("asset_number", STR), ("kind", STR),
        ("read_at", TS), ("machine_time", TS), ("reads_since_init", I64),
        ("machine_init_at", TS), ("interval_only", pa.bool_()),
        ("usable_as_delivered", pa.bool_()), ("file_names", pa.list_(STR)),
    ]),
    EVENTS: arrow_schema([
        ("serial", STR), ("asset_number", STR), ("kind", STR), ("at", TS),
        ("machine_time", TS), ("selection", STR), ("old_value", STR), ("new_value", STR),
    ]),
    DELIVERIES: arrow_schema([
        ("file_name", STR), ("serial", STR), ("arrival_date", pa.date32()),
        ("arrival_day", pa.int32()), ("batch", pa.int16()), ("quirks", pa.list_(STR)),
        ("read_ids", pa.list_(STR)), ("read_at", pa.list_(TS)), ("machine_time", pa.list_(TS)),
        ("reads_usable", pa.list_(pa.bool_())), ("usable", pa.bool_()),
        ("duplicate_of", STR), ("written", pa.bool_()),
    ]),
}  # fmt: skip


class TableSink:
    """One Parquet file written in row groups of about ``rows_per_group`` rows."""

    def __init__(self, path: Path, schema: pa.Schema, rows_per_group: int) -> None:
        self.schema = schema
        self.rows_per_group = rows_per_group
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self._columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self._rows = 0
        # Rows appended one by one are kept as tuples (a list per value would cost ~1 kB a row).
        self._tuples: list[tuple[Any, ...]] = []
        self._tuple_limit = min(rows_per_group, ROW_BUFFER_LIMIT)

    def append(self, columns: dict[str, Any], rows: int) -> None:
        """Buffer ``rows`` rows given column-wise (numpy arrays, pyarrow arrays or lists)."""
        for name, values in columns.items():
            self._columns[name].append(values)
        self._rows += rows
        if self._rows >= self.rows_per_group:
            self.flush()

    def append_row(self, row: dict[str, Any]) -> None:
        """Buffer one row given as a mapping of every column to its value."""
        self._tuples.append(tuple(row[name] for name in self.schema.names))
        if len(self._tuples) >= self._tuple_limit:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered as one row group."""
        if self._tuples:
            columns = zip(*self._tuples, strict=True)
            arrays = [
                pa.array(list(c), type=f.type) for c, f in zip(columns, self.schema, strict=True)
            ]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
            self._tuples = []
        if not self._rows:
            return
        arrays = [_concat(self._columns[f.name], f.type) for f in self.schema]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self._columns = {name: [] for name in self.schema.names}
        self._rows = 0

    def close(self) -> None:
        """Flush and close the file."""
        self.flush()
        self.writer.close()


def _concat(parts: Sequence[Any], dtype: pa.DataType) -> pa.Array[Any]:
    """One array from buffered parts; numpy and list parts are converted in one go (fast)."""
    if not any(isinstance(p, pa.Array) for p in parts):
        if all(isinstance(p, np.ndarray) for p in parts):
            return pa.array(np.concatenate(parts), type=dtype)
        return pa.array([v for p in parts for v in p], type=dtype)
    chunks = [p if isinstance(p, pa.Array) else pa.array(p, type=dtype) for p in parts]
    return pa.concat_arrays([c.cast(dtype) if c.type != dtype else c for c in chunks])


class TruthWriter:
    """All truth tables of a run, open for appending."""

    def __init__(self, directory: Path, rows_per_group: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.sinks = {
            name: TableSink(directory / name, schema, rows_per_group)
            for name, schema in SCHEMAS.items()
        }

    def __getitem__(self, name: str) -> TableSink:
        return self.sinks[name]

    def close(self) -> None:
        """Close every table."""
        for sink in self.sinks.values():
            sink.close()
