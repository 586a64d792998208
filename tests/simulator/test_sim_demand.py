"""Realised demand of a long run matches the configured rates within sampling error.

No stock-outs (capacity is huge) and no seasonality, trend or product lifecycle, so a day's
expected total depends on its weekday alone and realised arrivals are Poisson around it.
Popularity has no spread either (every product's popularity is the catalog mean, 1), so the
absolute level of demand is known from the configuration alone.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from simulator import (
    DemandConfig,
    OperationsConfig,
    QuirkConfig,
    SimConfig,
    simulate,
)
from simulator.truth import SLOT_DAY

from .conftest import paths_under

STEADY = SimConfig(
    machines=20,
    days=120,
    seed=11,
    quirks=QuirkConfig(enabled=False),
    demand=DemandConfig(
        popularity_sigma=0.0,
        season_amplitude=0.0,
        trend_sigma=0.0,
        new_product_share=0.0,
        fading_share=0.0,
    ),
    operations=OperationsConfig(
        capacity_override=10**6,
        price_change_rate=0.0,
        swap_rate=0.0,
        telemetry_share=0.0,
        board_replacement_rate=0.0,
        test_vend_rate=0.0,
        free_vend_rate=0.0,
        clock_jump_share=0.0,
    ),
)
CHI2_7_DF_P001 = 24.32  # chi-square, 7 degrees of freedom, p = 0.001


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, Path]:
    paths = paths_under(tmp_path_factory.mktemp("steady"))
    simulate(STEADY, paths)
    df = pl.read_parquet(paths.truth / SLOT_DAY).with_columns(
        weekday=pl.col("date").dt.weekday() - 1  # Monday = 0
    )
    return df, paths.master_data


def test_sim_no_stockouts_when_capacity_is_huge(steady: tuple[pl.DataFrame, Path]) -> None:
    df, _ = steady
    assert df["lost_units"].sum() == 0 and df["stockout_minutes"].sum() == 0
    assert (df["units_sold"] == df["demand_units"]).all()


def test_sim_expected_demand_follows_configured_weekday_factors(
    steady: tuple[pl.DataFrame, Path],
) -> None:
    df, _ = steady
    daily = df.group_by("date", "weekday").agg(pl.col("true_demand").sum()).sort("date")
    factor = np.asarray(STEADY.demand.weekday_factor)[daily["weekday"].to_numpy()]
    per_unit_factor = daily["true_demand"].to_numpy() / factor
    np.testing.assert_allclose(per_unit_factor, per_unit_factor[0], rtol=1e-9)


def test_sim_realised_demand_per_weekday_within_sampling_error(
    steady: tuple[pl.DataFrame, Path],
) -> None:
    df, _ = steady
    per_day = df.group_by("weekday").agg(
        observed=pl.col("demand_units").sum(), expected=pl.col("true_demand").sum()
    )
    z = (per_day["observed"] - per_day["expected"]) / per_day["expected"].sqrt()
    assert (z.abs() < 4).all(), per_day
    assert float((z**2).sum()) < CHI2_7_DF_P001
    # The weekday shape itself: realised weekday means relative to Monday vs the configuration.
    days = df.group_by("weekday").agg(pl.col("date").n_unique().alias("n")).sort("weekday")
    merged = per_day.sort("weekday").with_columns(n=days["n"])
    mean = (merged["observed"] / merged["n"]).to_numpy()
    factor = np.asarray(STEADY.demand.weekday_factor)
    ratio = mean / mean[0]
    se = ratio * np.sqrt(1 / merged["observed"].to_numpy() + 1 / merged["observed"][0])
    assert (np.abs(ratio - factor / factor[0]) < 4 * se).all()


def with_traffic(df: pl.DataFrame, master: Path) -> pl.DataFrame:
    """slot_day with each row's location traffic level, from the master data CSVs."""
    with (master / "devices.csv").open() as f:
        location_of = {r["dex_serial"]: r["location_id"] for r in csv.DictReader(f)}
    with (master / "locations.csv").open() as f:
        traffic_of = {r["location_id"]: r["traffic"] for r in csv.DictReader(f)}
    return df.with_columns(
        traffic=pl.col("serial").replace_strict(
            {s: traffic_of[loc] for s, loc in location_of.items()}
        )
    )


def test_sim_realised_demand_per_traffic_level_within_sampling_error(
    steady: tuple[pl.DataFrame, Path],
) -> None:
    df = with_traffic(*steady)
    levels = df.group_by("traffic").agg(
        observed=pl.col("demand_units").sum(), expected=pl.col("true_demand").sum()
    )
    z = (levels["observed"] - levels["expected"]) / levels["expected"].sqrt()
    assert (z.abs() < 4).all(), levels
    # Same product in two traffic levels: expected demand scales by the configured factors.
    factors = STEADY.demand.traffic_factor
    per = df.group_by("traffic", "product_id", "date").agg(pl.col("true_demand").first())
    wide = per.pivot(on="traffic", index=["product_id", "date"], values="true_demand").drop_nulls()
    levels_present = [c for c in ("low", "medium", "high") if c in wide.columns]
    assert len(levels_present) >= 2 and wide.height > 0
    a, b = levels_present[0], levels_present[-1]
    np.testing.assert_allclose(wide[b] / wide[a], factors[b] / factors[a], rtol=1e-9)


def test_sim_mean_demand_at_medium_traffic_is_the_configured_rate(
    steady: tuple[pl.DataFrame, Path],
) -> None:
    # Expected arrivals per slot-day = mean_daily_units x popularity x traffic x weekday x
    # season x trend x lifecycle (the hour shares sum to 1). In STEADY popularity is 1 for
    # every product, season, trend and lifecycle are 1, and medium traffic's factor is 1, so
    # for a medium-traffic slot on day d:  E[demand_units] = mean_daily_units x weekday(d).
    # Checked against the realised arrivals, without the truth's own true_demand column.
    d = STEADY.demand
    assert d.traffic_factor["medium"] == 1.0
    medium = with_traffic(*steady).filter(pl.col("traffic") == "medium")
    weekday = np.asarray(d.weekday_factor)[medium["weekday"].to_numpy()]
    expected = d.mean_daily_units * weekday
    observed = medium["demand_units"].to_numpy()
    assert len(observed) > 10_000
    # The mean per slot-day vs the configured rate (weekday factors averaged over these
    # slot-days), within 4 standard errors; Poisson: the total's variance is its mean.
    mean, se = observed.mean(), np.sqrt(expected.sum()) / len(observed)
    assert abs(mean - d.mean_daily_units * weekday.mean()) < 4 * se, (mean, se)
    np.testing.assert_allclose(medium["true_demand"], expected, rtol=1e-12)
