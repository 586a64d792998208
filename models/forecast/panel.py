"""The daily panel: one row per series (machine × selection × product), one column per day,
with the hours each slot was sold out, so that censored days are known.

A day on which a slot was sold out for ``CENSOR_HOURS`` or more is *censored*: its sales
understate the demand. Forecast features use censoring-aware rates (units over in-stock time),
models learn only from days that were not censored, and observed scores skip censored days.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from models.forecast.data import SourceFrames

CENSOR_HOURS = 2.0  # sold out this long on a day: that day's sales are censored
MAX_HISTORY_DAYS = 364  # days of history kept before the data's last day
SERIES_KEY = ("machine_serial", "selection", "product_id")


class NotEnoughDataError(ValueError):
    """The lake holds too little data to forecast from (or to backtest)."""


@dataclass(frozen=True)
class Panel:
    """Dense daily matrices (series × day) and the series they belong to.

    ``units`` is NaN outside a series' life (before its first day, after its last); zero days
    inside it are filled. ``series`` has one row per matrix row (column ``row``)."""

    series: pl.DataFrame
    start: date  # date of column 0
    units: np.ndarray
    soldout_hours: np.ndarray
    fingerprint: str

    @property
    def days(self) -> int:
        """Number of day columns; the last one is the data's last day."""
        return int(self.units.shape[1])

    @property
    def last_day(self) -> date:
        """The data's last day (the forecast starts the day after)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def censored(self) -> np.ndarray:
        """True where a day's sales are censored by a stock-out."""
        return self.soldout_hours >= CENSOR_HOURS

    @property
    def censored_share(self) -> float:
        """Share of the days inside the series' lives that are censored."""
        life = ~np.isnan(self.units)
        return float(self.censored[life].mean()) if life.any() else 0.0

    @property
    def available(self) -> np.ndarray:
        """Share of each day the slot was in stock (0..1)."""
        return 1.0 - np.clip(self.soldout_hours, 0.0, 24.0) / 24.0

    def date_of(self, column: int) -> date:
        """The date of a day column."""
        return self.start + timedelta(days=int(column))


def data_last_day(last_reads: pl.DataFrame) -> date:
    """The data's last complete day: the median over machines of each one's last read (machine
    clock), less 12 hours. A read in the morning leaves its day incomplete (the day before
    counts); a closing read just before or after midnight counts for the day it closes; a
    device whose clock jumped months ahead does not drag the fleet's "today" along."""
    per_machine = last_reads.group_by("machine_serial").agg(pl.col("last_read_at").max())
    times = sorted(per_machine.drop_nulls("last_read_at")["last_read_at"].to_list())
    if not times:
        raise NotEnoughDataError("dex_reads has no read with a time: no data to forecast from")
    return (times[(len(times) - 1) // 2] - timedelta(hours=12)).date()


def soldout_hours_per_day(stockouts: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """Hours each (machine, selection) was sold out on each day from ``first`` to ``last``."""
    lo = pl.lit(first).cast(pl.Datetime("us"))
    hi = pl.lit(last + timedelta(days=1)).cast(pl.Datetime("us"))
    episodes = (
        stockouts.with_columns(
            pl.max_horizontal(pl.col("start_at").cast(pl.Datetime("us")), lo).alias("s"),
            pl.min_horizontal(pl.col("end_at").cast(pl.Datetime("us")), hi).alias("e"),
        )
        .filter(pl.col("e") > pl.col("s"))
        .with_columns(pl.date_ranges(pl.col("s").dt.date(), pl.col("e").dt.date()).alias("day"))
        .explode("day")
    )
    day_start = pl.col("day").cast(pl.Datetime("us"))
    overlap = pl.min_horizontal(pl.col("e"), day_start + pl.duration(days=1)) - pl.max_horizontal(
        pl.col("s"), day_start
    )
    return (
        episodes.with_columns((overlap.dt.total_seconds() / 3600.0).alias("hours"))
        .filter(pl.col("hours") > 0)
        .group_by("machine_serial", "selection", "day")
        .agg(pl.col("hours").sum().clip(0.0, 24.0))
    )


def respread(parts: pl.DataFrame, hours: pl.DataFrame) -> pl.DataFrame:
    """Daily units per series from the daily spread's parts, each interval re-spread over the
    hours its slot was in stock: a day's weight is its profile share times the share of the
    day in stock (an interval's total is kept exactly). Without interval parts (no
    ``read_id_end`` column) the days are taken as they are."""
    key = [*SERIES_KEY, "sales_date"]
    if "read_id_end" not in parts.columns:
        return parts.group_by(key).agg(pl.col("units").sum())
    interval = ["machine_serial", "selection", "read_id_end"]
    weight = pl.col("profile_share") * (1.0 - pl.col("hours").fill_null(0.0) / 24.0)
    joined = parts.join(
        hours.rename({"day": "sales_date"}),
        on=["machine_serial", "selection", "sales_date"],
        how="left",
    ).with_columns(weight.alias("w"))
    joined = joined.with_columns(
        pl.col("units").sum().over(interval).alias("total"),
        pl.col("w").sum().over(interval).alias("wsum"),
    )
    units = (
        pl.when(pl.col("wsum") > 1e-9)
        .then(pl.col("total") * pl.col("w") / pl.col("wsum"))
        .otherwise(pl.col("units"))
    )
    return joined.group_by(key).agg(units.sum().alias("units"))


def machine_ends(src: SourceFrames, daily: pl.DataFrame, last: date) -> pl.DataFrame:
    """Per machine, the last day its data covers: its last sales day up to ``last``, and not
    past its last read up to ``last``, less 12 hours (a read in the morning leaves its day
    incomplete). Days after that are unknown, not zero: a device read weekly has not told us
    about them yet, and for one whose clock jumped months ahead the days after its last read
    before the jump hold only the spread of the interval across the jump."""
    data_end = daily.group_by("machine_serial").agg(pl.col("sales_date").max().alias("data_end"))
    complete = (
        src.last_reads.select(
            "machine_serial",
            (pl.col("last_read_at") - pl.duration(hours=12)).dt.date().alias("complete"),
        )
        .filter(pl.col("complete") <= last)
        .group_by("machine_serial")
        .agg(pl.col("complete").max())
    )
    return data_end.join(complete, on="machine_serial", how="left").select(
        "machine_serial",
        pl.min_horizontal("data_end", "complete", pl.lit(last)).alias("machine_end"),
    )


def _series_frame(src: SourceFrames, daily: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """One row per series: its life (first and last day column) and its context. Series of the
    active planogram live to their machine's end (:func:`machine_ends`); current slots without
    history get an empty life."""
    current = src.slots.select(*SERIES_KEY).unique().with_columns(pl.lit(True).alias("is_current"))
    seen = daily.group_by(*SERIES_KEY).agg(
        pl.col("sales_date").min().alias("first_date"),
        pl.col("sales_date").max().alias("last_date"),
    )
    series = seen.join(current, on=SERIES_KEY, how="full", coalesce=True).with_columns(
        pl.col("is_current").fill_null(False),
        pl.col("first_date").fill_null(last + timedelta(days=1)),
    )
    ends = machine_ends(src, daily, last)
    series = series.join(ends, on="machine_serial", how="left").with_columns(
        pl.when(pl.col("is_current"))
        .then(pl.col("machine_end").fill_null(pl.lit(last)))
        .otherwise(pl.min_horizontal("last_date", "machine_end"))
        .alias("last_date")
    )
    return (
        series.drop("machine_end")
        .join(src.products, on="product_id", how="left")
        .join(src.series_context, on="machine_serial", how="left")
        .sort(*SERIES_KEY)
        .with_row_index("row")
        .with_columns(
            (pl.col("first_date") - pl.lit(first)).dt.total_days().alias("first_col"),
            (pl.col("last_date") - pl.lit(first)).dt.total_days().alias("last_col"),
        )
    )


def build_panel(src: SourceFrames, last_day: date | None = None) -> Panel:
    """The panel of every series up to ``last_day`` (default: :func:`data_last_day`), with at
    most ``MAX_HISTORY_DAYS`` of history. Raises ValueError when there are no sales at all."""
    if src.daily_sales.is_empty():
        raise NotEnoughDataError("fct_daily_sales is empty: no sales to forecast from")
    last = last_day or data_last_day(src.last_reads)
    first_sale, last_sale = src.daily_sales["sales_date"].min(), src.daily_sales["sales_date"].max()
    assert isinstance(first_sale, date) and isinstance(last_sale, date)  # a non-empty Date column
    all_hours = soldout_hours_per_day(src.stockouts, first_sale, max(last_sale, last))
    daily = respread(src.daily_sales, all_hours)
    first = max(first_sale, last - timedelta(days=MAX_HISTORY_DAYS - 1))
    daily = daily.filter(pl.col("sales_date").is_between(first, last))
    series = _series_frame(src, daily, first, last)
    n_series, n_days = series.height, (last - first).days + 1

    units = np.full((n_series, n_days), np.nan)
    keyed = daily.join(series.select(*SERIES_KEY, "row"), on=SERIES_KEY).with_columns(
        (pl.col("sales_date") - pl.lit(first)).dt.total_days().alias("col")
    )
    units[keyed["row"].to_numpy(), keyed["col"].to_numpy()] = keyed["units"].to_numpy()
    cols = np.arange(n_days)
    life = (cols[None, :] >= series["first_col"].to_numpy()[:, None]) & (
        cols[None, :] <= series["last_col"].to_numpy()[:, None]
    )
    units = np.where(life & np.isnan(units), 0.0, units)
    units = np.where(life, units, np.nan)

    hours = np.zeros((n_series, n_days))
    per_day = all_hours.filter(pl.col("day").is_between(first, last)).join(
        series.select("machine_serial", "selection", "row"), on=["machine_serial", "selection"]
    )
    per_day = per_day.with_columns((pl.col("day") - pl.lit(first)).dt.total_days().alias("col"))
    hours[per_day["row"].to_numpy(), per_day["col"].to_numpy()] = per_day["hours"].to_numpy()
    hours = np.where(life, hours, 0.0)

    digest = hashlib.sha256()
    digest.update(f"{first}|{last}|{n_series}|{n_days}".encode())
    digest.update(series.select(*SERIES_KEY).write_csv().encode())
    digest.update(np.nan_to_num(units, nan=-1.0).tobytes())
    digest.update(np.round(hours, 3).tobytes())
    return Panel(series, first, units, hours, digest.hexdigest())
