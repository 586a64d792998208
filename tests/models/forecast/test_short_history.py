"""A fleet with 5 weeks of DEX, too short for a backtest (42 days): `cvd materialize` publishes
no model, and the forecast falls back to the strongest baseline on the holdout the history
allows, not to seasonal-naive (which at 6 weeks had more than twice the 28-day mean's error,
issue 19). Checked against the simulator's truth."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from models.registry import BASELINES
from tests.orchestration.pipeline import cvd, query

MACHINES, DAYS, SEED = 4, 35, 3


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("short")
    args = ["--machines", str(MACHINES), "--days", str(DAYS), "--seed", str(SEED)]
    assert cvd("demo-data", *args, "--home", str(home)) == 0
    assert cvd("db", "upgrade", "--home", str(home)) == 0
    assert cvd("import", "master-data", "--home", str(home)) == 0
    assert cvd("materialize", "--home", str(home)) == 0
    return home


def test_short_history_is_forecast_by_the_strongest_baseline(home: Path) -> None:
    assert query(home, "SELECT count(*) FROM model_versions WHERE is_current") == [(0,)]
    ((method, version),) = query(home, "SELECT DISTINCT method, model_version FROM demand_forecast")
    assert version == "baseline"
    assert method in BASELINES and method != "seasonal_naive"
    # the fleet's forecast daily demand is the truth's recent level: within 25% of the mean
    # true daily demand of the last 14 days (demand drifts little over two weeks)
    truth = pl.read_parquet(home / "truth" / "slot_day.parquet")
    last = truth["date"].max()
    recent = truth.filter(pl.col("date") > pl.lit(last) - pl.duration(days=14))
    true_daily = float(recent["true_demand"].sum()) / 14
    ((forecast_daily,),) = query(
        home, "SELECT sum(expected_units) / count(DISTINCT forecast_date) FROM demand_forecast"
    )
    assert abs(forecast_daily - true_daily) <= 0.25 * true_daily
