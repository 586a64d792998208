"""The forecast tables in the lake: ``ml/demand_forecast`` and ``ml/forecast_backtest``
(schemas in ``models/output_schemas.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from models.forecast.backtest import BacktestResult
from models.forecast.model import interval
from models.forecast.panel import SERIES_KEY, Panel
from models.output_schemas import SCHEMAS, dataset_dir
from transforms.lake import Location, current_file, publish, read_table


def backtest_table(result: BacktestResult, version: str, created_at: datetime) -> pa.Table:
    """One row per method and cutoff."""
    rows = [
        {
            "model_version": version,
            "method": r.method,
            "cutoff": r.cutoff,
            "horizon_days": r.horizon_days,
            "series": r.series,
            "mase": r.scores["mase"],
            "wape": r.scores["wape"],
            "bias": r.scores["bias"],
            "wape_vs_true": r.scores["wape_vs_true"],
            "created_at": created_at,
        }
        for r in result.rows
    ]
    return pa.Table.from_pylist(rows, schema=SCHEMAS["forecast_backtest"])


def append_backtest(lake: Location, table: pa.Table) -> Location:
    """Publish the backtest rows of a new model after those of earlier ones."""
    directory = dataset_dir(lake, "forecast_backtest")
    live = current_file(directory)
    if live is not None and live.exists():
        table = pa.concat_tables([read_table(live).cast(table.schema), table])
    return publish(directory, table)


def forecast_table(
    panel: Panel,
    slots: pl.DataFrame,
    expected: np.ndarray,
    *,
    dispersion: float,
    method: str,
    version: str,
    created_at: datetime,
) -> pa.Table:
    """One row per current slot and day ahead; ``expected`` is series × day (from the day
    after the panel's last day)."""
    horizon = expected.shape[1]
    current = slots.join(panel.series.select(*SERIES_KEY, "row"), on=list(SERIES_KEY), how="left")
    missing = current.filter(pl.col("row").is_null())
    if missing.height:
        raise ValueError(f"{missing.height} current slots have no series in the panel")
    rows = current["row"].to_numpy()
    mean = np.clip(expected[rows], 0.0, None)
    lo, hi = interval(mean, dispersion)
    n = current.height
    dates = [panel.last_day + timedelta(days=h) for h in range(1, horizon + 1)]
    frame = pl.DataFrame(
        {
            "machine_serial": np.repeat(current["machine_serial"].to_numpy(), horizon),
            "cabinet_index": np.repeat(current["cabinet_index"].to_numpy(), horizon),
            "slot": np.repeat(current["slot"].to_numpy(), horizon),
            "selection": np.repeat(current["selection"].to_numpy(), horizon),
            "product_id": np.repeat(current["product_id"].to_numpy(), horizon),
            "forecast_date": dates * n,
            "expected_units": mean.reshape(-1),
            "lower_units": lo.reshape(-1),
            "upper_units": hi.reshape(-1),
        }
    ).with_columns(
        pl.lit(method).alias("method"),
        pl.lit(version).alias("model_version"),
        pl.lit(created_at).cast(pl.Datetime("us")).alias("created_at"),
    )
    return frame.to_arrow().cast(SCHEMAS["demand_forecast"])
