"""The model registry: every trained demand model by version, with its metadata, and a
``current`` pointer.

Layout: ``$CVD_HOME/models/demand_forecast/<version>/{model.skops,metadata.json}`` and
``$CVD_HOME/models/demand_forecast/current`` (the current version's name, written atomically).
Models are stored with skops, which rebuilds objects without executing code from the file;
loading refuses any type outside :data:`TRUSTED_TYPES`.

Promotion rule (:func:`decide`): a model becomes current only if its backtest WAPE (observed
sales, in-stock days) is strictly lower than both baselines' and not higher than the current
model's method on the same cutoffs. Otherwise it is stored as ``rejected`` with the reason."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import skops.io as sio

from models.output_schemas import SCHEMAS, dataset_dir
from transforms.lake import Location, atomic_write_bytes, atomic_write_json, publish

KIND = "demand_forecast"
MODEL_FILE = "model.skops"
META_FILE = "metadata.json"
CURRENT = "current"
# Types skops may rebuild beyond its defaults (which cover builtins, numpy and sklearn estimators).
TRUSTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
# the forecasts every model must beat (models.forecast.baselines.BASELINE_METHODS; the registry
# does not import the forecast code)
BASELINES = (
    "naive",
    "seasonal_naive",
    "ma_7",
    "ma_14",
    "ma_28",
    "ma_56",
    "ma_28_weekday",
    "pooled_rate",
)
LIBRARIES = ("numpy", "polars", "scikit-learn", "scipy", "skops", "duckdb")


class UntrustedModelError(RuntimeError):
    """A stored model holds types outside the trusted list: it is not loaded."""


@dataclass(frozen=True)
class Decision:
    """Whether a model becomes current, and why."""

    promote: bool
    reason: str


def decide(
    candidate: float | None, baselines: dict[str, float | None], current: float | None
) -> Decision:
    """Promotion rule on backtest WAPE (lower is better): strictly better than every baseline,
    and no worse than the current model on the same cutoffs (a retrain of the same method on
    newer data ties, and is promoted: it has seen more)."""
    if candidate is None:
        return Decision(False, "no backtest score")
    for name, score in baselines.items():
        if score is not None and not candidate < score:
            return Decision(False, f"WAPE {candidate:.4f} does not beat {name} ({score:.4f})")
    if current is not None and candidate > current:
        return Decision(
            False, f"WAPE {candidate:.4f} is worse than the current model's ({current:.4f})"
        )
    base = ", ".join(f"{n} {s:.4f}" for n, s in baselines.items() if s is not None)
    versus = f"; current {current:.4f}" if current is not None else "; no current model"
    return Decision(True, f"WAPE {candidate:.4f} beats {base}{versus}")


def decide_for(meta: dict[str, Any], current: float | None) -> Decision:
    """:func:`decide` on a model's metadata: its method's backtest WAPE against the baselines'
    (``meta['scores']``) and the current model's score."""
    scores, method = meta["scores"], meta["method"]
    # a baseline chosen as the model competes with the other baselines; those an older model's
    # backtest did not run are left out
    others = {b: scores[b]["wape"] for b in BASELINES if b != method and b in scores}
    return decide(scores[method]["wape"], others, current)


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a model depends on."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def new_version(fingerprint: str, now: datetime | None = None) -> str:
    """A sortable version name: UTC time and the start of the data fingerprint."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}-{fingerprint[:8]}"


class Registry:
    """The registry of one CVD home."""

    def __init__(self, home: Path) -> None:
        self.root = home / "models" / KIND

    def path(self, version: str) -> Path:
        """The folder of ``version``."""
        if not version or "/" in version or version.startswith("."):
            raise ValueError(f"not a model version: {version!r}")
        return self.root / version

    def versions(self) -> list[str]:
        """Every stored version, oldest first."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / META_FILE).exists())

    def metadata(self, version: str) -> dict[str, Any]:
        """The metadata of ``version`` (KeyError if there is no such version)."""
        path = self.path(version) / META_FILE
        if not path.exists():
            raise KeyError(f"no model version {version!r} in {self.root}")
        return json.loads(path.read_text())

    def write_metadata(self, version: str, meta: dict[str, Any]) -> None:
        """Atomically replace the metadata of ``version``."""
        atomic_write_json(self.path(version) / META_FILE, meta)

    def current(self) -> str | None:
        """The current version, or None."""
        pointer = self.root / CURRENT
        return pointer.read_text().strip() or None if pointer.exists() else None

    def save(self, version: str, state: dict[str, Any], meta: dict[str, Any]) -> None:
        """Store a model (skops) and its metadata under ``version`` (status from ``meta``)."""
        folder = self.path(version)
        folder.mkdir(parents=True, exist_ok=False)
        atomic_write_bytes(folder / MODEL_FILE, sio.dumps(state))
        self.write_metadata(version, meta)

    def load(self, version: str) -> dict[str, Any]:
        """The stored state of ``version``; raises UntrustedModelError (before building any
        object) when the file holds a type outside :data:`TRUSTED_TYPES`."""
        data = (self.path(version) / MODEL_FILE).read_bytes()
        untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
        if untrusted:
            raise UntrustedModelError(
                f"model {version}: refusing to load untrusted types {', '.join(untrusted)}"
            )
        return sio.loads(data, trusted=list(TRUSTED_TYPES))

    def set_current(self, version: str, reason: str, now: datetime | None = None) -> None:
        """Make ``version`` current: the old one becomes 'retired', the pointer moves
        atomically."""
        now = now or datetime.now(UTC)
        meta = self.metadata(version)
        old = self.current()
        if old and old != version:
            old_meta = self.metadata(old)
            old_meta["status"] = "retired"
            old_meta["reason"] = f"replaced by {version}"
            self.write_metadata(old, old_meta)
        meta.update(status="current", reason=reason, promoted_at=now.isoformat())
        self.write_metadata(version, meta)
        atomic_write_bytes(self.root / CURRENT, version.encode())

    def register(
        self, version: str, state: dict[str, Any], meta: dict[str, Any], current_score: float | None
    ) -> Decision:
        """Store a new model and promote it if :func:`decide` says so; else store it as
        'rejected' with the reason. ``meta['scores']`` holds the backtest per method."""
        decision = decide_for(meta, current_score)
        meta = {
            **meta,
            "status": "candidate" if decision.promote else "rejected",
            "reason": decision.reason,
        }
        self.save(version, state, meta)
        if decision.promote:
            self.set_current(version, decision.reason)
        return decision

    def table(self) -> pa.Table:
        """Every version as rows of the ``model_versions`` schema."""
        current = self.current()
        rows: list[dict[str, Any]] = []
        for version in self.versions():
            metadata = self.metadata(version)
            own = metadata["scores"][metadata["method"]]
            rows.append(
                {
                    "model_version": version,
                    "kind": f"{metadata['kind']}:{metadata['method']}",
                    "created_at": _ts(metadata["created_at"]),
                    "training_start": date.fromisoformat(metadata["training_start"]),
                    "training_end": date.fromisoformat(metadata["training_end"]),
                    "data_fingerprint": metadata["data_fingerprint"],
                    "library_versions": json.dumps(metadata["library_versions"], sort_keys=True),
                    "mase": own["mase"],
                    "wape": own["wape"],
                    "bias": own["bias"],
                    "baseline_naive_mase": metadata["scores"]["naive"]["mase"],
                    "baseline_seasonal_mase": metadata["scores"]["seasonal_naive"]["mase"],
                    "is_current": version == current,
                    "promoted_at": _ts(metadata.get("promoted_at")),
                    "status": metadata["status"],
                    "reason": metadata.get("reason"),
                }
            )
        return pa.Table.from_pylist(rows, schema=SCHEMAS["model_versions"])

    def export(self, lake: Location) -> Location:
        """Publish :meth:`table` as the lake dataset ``ml/model_versions``."""
        return publish(dataset_dir(lake, "model_versions"), self.table())


def _ts(text: str | None) -> datetime | None:
    """A naive UTC timestamp from ISO text (the lake's timestamps are naive)."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
