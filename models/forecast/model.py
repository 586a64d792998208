"""The trained demand model: the method chosen by backtest, its fitted estimator (for the
gradient-boosting method) and the dispersion behind its prediction intervals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from sklearn.ensemble import HistGradientBoostingRegressor

from models.forecast import gbm
from models.forecast.baselines import simple_forecast
from models.forecast.features import FEATURES, origin_features
from models.forecast.panel import Panel

INTERVAL = (0.1, 0.9)  # an 80% prediction interval


@dataclass
class DemandModel:
    """What the registry stores (as a plain dict, see :meth:`to_state`)."""

    method: str
    dispersion: float
    estimator: HistGradientBoostingRegressor | None = None

    def to_state(self) -> dict[str, Any]:
        """A dict of trusted types only, for skops."""
        return {
            "method": self.method,
            "dispersion": float(self.dispersion),
            "estimator": self.estimator,
            "features": list(FEATURES),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> DemandModel:
        """Rebuild from :meth:`to_state`; refuses a model built on other features."""
        if list(state.get("features", [])) != list(FEATURES):
            raise ValueError(
                f"model features {state.get('features')} differ from this code's {list(FEATURES)}"
            )
        return cls(state["method"], float(state["dispersion"]), state.get("estimator"))

    def expected(self, panel: Panel, origin: int, horizon: int) -> np.ndarray:
        """Expected units per series and day ahead. Simple methods give a series without
        history (a product new in its slot) the pooled machine × product rate."""
        if self.method == "gbm":
            if self.estimator is None:
                raise ValueError("a gbm model without its estimator")
            return gbm.predict(self.estimator, panel, origin, horizon)
        out = simple_forecast(self.method, panel, origin, horizon)
        fresh = panel.series["first_col"].to_numpy() > origin
        if fresh.any():
            pooled = origin_features(panel, origin, 1).x[:, FEATURES.index("pooled_guess")]
            out[fresh] = np.nan_to_num(pooled[fresh])[:, None]
        return out


def fit_model(method: str, panel: Panel, dispersion: float) -> DemandModel:
    """Fit ``method`` on all of the panel (targets up to its last day)."""
    estimator = gbm.fit(panel, panel.days - 1) if method == "gbm" else None
    return DemandModel(method, dispersion, estimator)


def interval(mean: np.ndarray, dispersion: float) -> tuple[np.ndarray, np.ndarray]:
    """The 80% interval of daily units: the 10% and 90% quantiles of a negative binomial with
    variance μ + φμ² (Poisson when φ is 0), φ estimated on the backtest's in-stock days; always
    containing μ."""
    mu = np.maximum(mean, 1e-9)
    if dispersion <= 1e-6:
        lo, hi = stats.poisson.ppf(INTERVAL[0], mu), stats.poisson.ppf(INTERVAL[1], mu)
    else:
        n = 1.0 / dispersion
        p = n / (n + mu)
        lo, hi = stats.nbinom.ppf(INTERVAL[0], n, p), stats.nbinom.ppf(INTERVAL[1], n, p)
    # quantiles of a count are whole units: widen to contain the mean (for a mean of 0.05 the
    # 90% quantile is 0), which only raises the coverage
    lo = np.minimum(np.asarray(lo, dtype=float), mean)
    hi = np.maximum(np.asarray(hi, dtype=float), mean)
    return lo, hi
