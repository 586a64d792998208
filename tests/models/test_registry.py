"""The model registry: promotion rule on hand-made scores, statuses, the current pointer,
skops round trips and refusal of untrusted types, the lake table's schema."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingRegressor

from models.forecast.features import FEATURES
from models.forecast.model import DemandModel
from models.output_schemas import SCHEMAS, dataset_dir
from models.registry import Registry, UntrustedModelError, decide
from transforms.lake import current_file


def test_decide_promotes_only_a_model_better_than_both_baselines_and_current() -> None:
    base = {"naive": 0.70, "seasonal_naive": 0.60}
    assert decide(0.50, base, None).promote
    assert decide(0.50, base, 0.55).promote
    assert decide(0.50, base, 0.50).promote  # same score on the same cutoffs: a refresh
    worse = decide(0.52, base, 0.50)
    assert not worse.promote and "current" in worse.reason
    seasonal = decide(0.60, base, None)  # a tie with a baseline is not a win
    assert not seasonal.promote and "seasonal_naive" in seasonal.reason
    naive = decide(0.65, {"naive": 0.64, "seasonal_naive": 0.90}, None)
    assert not naive.promote and "naive" in naive.reason
    assert not decide(None, base, None).promote


def _scores(own: float, naive: float = 0.7, seasonal: float = 0.6) -> dict[str, dict[str, float]]:
    def row(w: float) -> dict[str, float]:
        return {"mase": w * 1.5, "wape": w, "bias": 0.01, "wape_vs_true": w / 2}

    return {"gbm": row(own), "naive": row(naive), "seasonal_naive": row(seasonal)}


def _meta(version: str, own: float) -> dict[str, object]:
    return {
        "model_version": version,
        "kind": "demand_forecast",
        "method": "gbm",
        "created_at": datetime(2024, 5, 1, 3, tzinfo=UTC).isoformat(),
        "training_start": "2024-01-01",
        "training_end": "2024-04-30",
        "data_fingerprint": "f" * 64,
        "library_versions": {"scikit-learn": "x"},
        "cutoffs": ["2024-04-02", "2024-04-16"],
        "scores": _scores(own),
    }


def _tiny_model() -> DemandModel:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, len(FEATURES)))
    y = rng.poisson(np.exp(0.3 * x[:, 0]))
    est = HistGradientBoostingRegressor(loss="poisson", max_iter=5).fit(x, y)
    return DemandModel("gbm", 0.2, est)


def test_register_promotes_rejects_and_retires(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    state = DemandModel("tsb", 0.0).to_state()
    first = reg.register("v1", state, _meta("v1", 0.50), current_score=None)
    assert first.promote and reg.current() == "v1"
    second = reg.register("v2", state, _meta("v2", 0.55), current_score=0.50)
    assert not second.promote
    assert reg.metadata("v2")["status"] == "rejected"
    assert "worse than the current" in reg.metadata("v2")["reason"]
    assert reg.current() == "v1"
    third = reg.register("v3", state, _meta("v3", 0.45), current_score=0.50)
    assert third.promote and reg.current() == "v3"
    assert {v: reg.metadata(v)["status"] for v in reg.versions()} == {
        "v1": "retired",
        "v2": "rejected",
        "v3": "current",
    }
    assert (tmp_path / "models" / "demand_forecast" / "current").read_text() == "v3"

    lake = tmp_path / "lake"
    reg.export(lake)
    table = pq.read_table(current_file(dataset_dir(lake, "model_versions")))
    assert table.schema.equals(SCHEMAS["model_versions"])
    rows = {r["model_version"]: r for r in table.to_pylist()}
    assert rows["v3"]["is_current"] and not rows["v1"]["is_current"]
    assert rows["v2"]["wape"] == pytest.approx(0.55)
    assert rows["v2"]["baseline_seasonal_mase"] == pytest.approx(0.9)
    assert rows["v3"]["promoted_at"] is not None and rows["v2"]["promoted_at"] is None


def test_skops_round_trip_predicts_the_same(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    model = _tiny_model()
    reg.save("v1", model.to_state(), _meta("v1", 0.5) | {"status": "candidate"})
    loaded = DemandModel.from_state(reg.load("v1"))
    x = np.random.default_rng(1).normal(size=(20, len(FEATURES)))
    assert loaded.method == "gbm" and loaded.dispersion == pytest.approx(0.2)
    assert loaded.estimator is not None and model.estimator is not None
    assert np.array_equal(loaded.estimator.predict(x), model.estimator.predict(x))
    assert zipfile.is_zipfile(reg.path("v1") / "model.skops")  # the skops format, not a pickle


class Trap:
    """An object whose rebuilding would run code (it writes a file)."""

    def __init__(self, marker: str = "") -> None:
        self.marker = marker

    def __setstate__(self, state: dict[str, str]) -> None:
        Path(state["marker"]).write_text("code ran")


def test_untrusted_types_are_refused_before_anything_is_built(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    marker = tmp_path / "ran.txt"
    reg.save("v1", {"method": "gbm", "estimator": Trap(str(marker))}, _meta("v1", 0.5))
    with pytest.raises(UntrustedModelError, match="Trap"):
        reg.load("v1")
    assert not marker.exists()
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):  # skops alone also refuses
        sio.loads((reg.path("v1") / "model.skops").read_bytes())
    assert not marker.exists()


def test_unknown_version_and_bad_names(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    assert reg.current() is None and reg.versions() == []
    with pytest.raises(KeyError, match="nosuch"):
        reg.metadata("nosuch")
    with pytest.raises(ValueError, match="not a model version"):
        reg.path("../etc")
