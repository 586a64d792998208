"""What visit planning reads from the lake: "now", the machines, their slots and the forecast.

Queries run on :func:`transforms.catalog.lake_connection` (raw, master, marts and ml views);
their SQL is in ``models/visits/sql/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SQL_DIR = Path(__file__).parent / "sql"
FORECAST = "demand_forecast"
# the fallback: the slot's units per day over the 28 days before its machine's last read
FALLBACK = "slot_rate"
LAST_DAY_GRACE = timedelta(hours=1)


def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


@dataclass(frozen=True)
class FleetState:
    """Everything the planner needs, read at one moment."""

    as_of: datetime
    machines: pd.DataFrame  # machines.sql, one row per placed machine
    slots: pd.DataFrame  # slots.sql, one row per active slot
    # expected units per slot and horizon day: key (serial, cabinet_index, slot) -> array(days)
    forecast: dict[tuple[str, int, str], np.ndarray]
    horizon_days: int

    @property
    def as_of_date(self) -> date:
        """The data's last day: the day of ``as_of``, where a read in the first hour after
        midnight (a day's closing read on a clock running a little fast) counts for the day
        before."""
        return (self.as_of - LAST_DAY_GRACE).date()

    def horizon(self) -> list[date]:
        """The days after the data's last day that the need date may fall on."""
        return [self.as_of_date + timedelta(days=k) for k in range(1, self.horizon_days + 1)]


def read_state(con: duckdb.DuckDBPyConnection, horizon_days: int) -> FleetState | None:
    """The fleet as the lake holds it; None when there are no reads yet."""
    row = con.execute(_sql("fleet_as_of")).fetchone()
    if row is None or row[0] is None:
        return None
    as_of: datetime = row[0]
    con.execute(_sql("last_visits"))
    machines = con.execute(_sql("machines")).df()
    slots = con.execute(_sql("slots")).df()
    forecast = _read_forecast(con, (as_of - LAST_DAY_GRACE).date(), horizon_days)
    return FleetState(as_of, machines, slots, forecast, horizon_days)


def _read_forecast(
    con: duckdb.DuckDBPyConnection, as_of_date: date, horizon_days: int
) -> dict[tuple[str, int, str], np.ndarray]:
    """Expected units per slot for each horizon day (NaN where the forecast has no row: the
    planner uses the slot's rate for that day)."""
    rows = con.execute(
        _sql("forecast"), {"as_of_date": as_of_date, "horizon_days": horizon_days}
    ).fetchall()
    series: dict[tuple[str, int, str], np.ndarray] = {}
    for serial, cabinet, slot, day, units in rows:
        key = (serial, int(cabinet), slot)
        values = series.setdefault(key, np.full(horizon_days, np.nan))
        values[(day - as_of_date).days - 1] = float(units)
    return series
