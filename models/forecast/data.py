"""Reading the marts and master data the forecasts need, through an in-memory DuckDB over the
lake (``transforms.catalog.lake_connection``): never the warehouse file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.catalog import lake_connection, on_lake
from transforms.lake import Location

SQL_DIR = Path(__file__).parent / "sql"
QUERIES = ("daily_sales", "stockouts", "slots", "series_context", "products", "last_reads")


@dataclass(frozen=True)
class SourceFrames:
    """What the features are built from (one frame per query in ``sql/``)."""

    # machine_serial, selection, product_id, sales_date, units (+ read_id_end, profile_share:
    # the interval a day's units come from and the day's share of it, when known)
    daily_sales: pl.DataFrame
    stockouts: pl.DataFrame  # machine_serial, selection, start_at, end_at
    slots: pl.DataFrame  # the active planogram: machine_serial, cabinet_index, slot, ...
    series_context: pl.DataFrame  # machine_serial, location_id, traffic
    products: pl.DataFrame  # product_id, category
    last_reads: pl.DataFrame  # machine_serial, last_read_at (the last read of each day)


def load_sources(lake: Location) -> SourceFrames:
    """Run every query of ``sql/`` over the lake and return the frames."""
    con = lake_connection(lake)
    try:
        frames: dict[str, pl.DataFrame] = {}
        for name in QUERIES:
            text = on_lake((SQL_DIR / f"{name}.sql").read_text(), lake)
            frame = pl.from_arrow(con.sql(text).to_arrow_table())
            assert isinstance(frame, pl.DataFrame)  # a Table becomes a frame, never a Series
            frames[name] = frame
    finally:
        con.close()
    return SourceFrames(**frames)


def load_truth(truth_dir: Path) -> pl.DataFrame | None:
    """The simulator's true expected demand per slot and day (serial, selection, date,
    true_demand), or None when the home has no truth (real data)."""
    path = truth_dir / "slot_day.parquet"
    if not path.exists():
        return None
    return pl.read_parquet(path, columns=["serial", "selection", "date", "true_demand"]).rename(
        {"serial": "machine_serial", "date": "sales_date"}
    )
