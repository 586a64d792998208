"""The forecast assets in a real `cvd materialize` over a small simulated fleet, checked against
the planogram, the simulator's truth and the table contracts; and `cvd models`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from models.output_schemas import SCHEMAS, dataset_dir
from models.registry import Registry
from tests.orchestration.pipeline import cvd, query
from transforms.lake import current_file

MACHINES, DAYS, SEED = 6, 60, 3
OURS = ("forecast_backtest", "demand_forecast", "model_versions")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("forecast")
    args = ["--machines", str(MACHINES), "--days", str(DAYS), "--seed", str(SEED)]
    assert cvd("demo-data", *args, "--home", str(home)) == 0
    assert cvd("db", "upgrade", "--home", str(home)) == 0
    assert cvd("import", "master-data", "--home", str(home)) == 0
    assert cvd("materialize", "--home", str(home)) == 0
    return home


def test_every_current_slot_gets_14_days_after_the_last_day(home: Path) -> None:
    truth_last = pl.read_parquet(home / "truth" / "slot_day.parquet")["date"].max()
    assert truth_last == date(2024, 1, 1) + timedelta(days=DAYS - 1)
    slots = set(
        query(
            home,
            "SELECT d.dex_serial, p.cabinet_index, p.slot, p.selection, p.product_id "
            "FROM planogram_slots p JOIN devices d USING (asset_number)",
        )
    )
    rows = query(
        home,
        "SELECT machine_serial, cabinet_index, slot, selection, product_id, "
        "count(*), count(DISTINCT forecast_date), min(forecast_date), max(forecast_date), "
        "bool_and(lower_units <= expected_units AND expected_units <= upper_units), "
        "bool_and(expected_units >= 0) "
        "FROM demand_forecast GROUP BY ALL",
    )
    assert {r[:5] for r in rows} == slots
    first = truth_last + timedelta(days=1)
    for *_, n, distinct, lo, hi, inside, nonneg in rows:
        assert (n, distinct, lo, hi) == (14, 14, first, first + timedelta(days=13))
        assert inside and nonneg


def test_published_tables_have_exactly_the_contract_schema(home: Path) -> None:
    for name in OURS:
        live = current_file(dataset_dir(home / "lake", name))
        assert live is not None, name
        assert pq.read_schema(live).equals(SCHEMAS[name]), name


def test_the_model_beats_seasonal_naive_against_true_demand(home: Path) -> None:
    (current,) = query(
        home, "SELECT model_version, kind, status FROM model_versions WHERE is_current"
    )
    assert current[2] == "current"
    method = current[1].split(":")[1]
    scores = dict(
        query(
            home,
            "SELECT method, sum(wape_vs_true) FROM forecast_backtest "
            f"WHERE model_version = '{current[0]}' GROUP BY ALL",
        )
    )
    assert set(scores) >= {"naive", "seasonal_naive", "croston", "sba", "tsb", "gbm"}
    assert scores[method] < 0.85 * scores["seasonal_naive"]
    (n,) = query(
        home, f"SELECT count(DISTINCT method) FROM demand_forecast WHERE method = '{method}'"
    )[0]
    assert n == 1


def test_models_cli(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry = Registry(home)
    before = registry.versions()
    assert cvd("models", "train", "--if-changed", "--home", str(home)) == 0
    assert "not retrained" in capsys.readouterr().out
    assert registry.versions() == before
    assert cvd("models", "list", "--home", str(home)) == 0
    assert before[0][:8] in capsys.readouterr().out
    assert cvd("models", "promote", "nosuch", "--home", str(home)) == 2
    assert cvd("models", "promote", before[-1], "--home", str(home)) == 0
    assert "already current" in capsys.readouterr().out
