"""Policy (c)'s demand as the pipeline gets it: the demand forecast (``models.forecast``).

The warm-up's counters become the forecast's panel, one series per stocked (machine, product)
pair: units sold per day and the hours it was sold out (24 × the share of the day's demand seen
while sold out: the market knows demand time, not clock time). Then what a first
``cvd models train`` and the ``demand_forecast`` asset do: a rolling-origin backtest of every
method, the best candidate by WAPE, promoted only if it beats every baseline (else the
strongest baseline, as with no current model), fitted on all of the warm-up, 14 days
forecast from its last day; the context plans with the mean of those days
(``planogram/sql/forecast_rates.sql``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from models.forecast.backtest import HORIZON, run_backtest
from models.forecast.baselines import simple_forecast
from models.forecast.model import fit_model
from models.forecast.panel import NotEnoughDataError, Panel
from models.forecast.pipeline import choose, fallback_method
from models.registry import decide_for
from simulator.evaluation.estimate import knowledge
from simulator.evaluation.market import PeriodResult, pair_par
from simulator.evaluation.policies import Knowledge, current
from simulator.evaluation.world import World

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class MarketForecast:
    """Policy (c)'s knowledge and how the forecast was made."""

    knowledge: Knowledge
    method: str  # the method forecast with (the strongest baseline if none was promoted)
    expected: np.ndarray  # [stocked pair, day] expected units of the 14 days after the warm-up
    stocked: np.ndarray  # the pairs of ``expected``'s rows
    censored_share: float  # share of the warm-up's pair-days censored by a stock-out


def market_panel(
    world: World, warm: PeriodResult, traffic_known: bool = True
) -> tuple[Panel, np.ndarray]:
    """The warm-up as a forecast panel, and the pairs its rows are (``traffic_known=False``:
    machines known only from DEX, no location and so no traffic level)."""
    stocked = np.flatnonzero(pair_par(world, current(world)) > 0)
    days = warm.daily_sold.shape[0]
    level = world.hour_weight[:days].sum(axis=1)
    out_share = 1.0 - np.clip(warm.daily_instock[:, stocked].T / level[None, :], 0.0, 1.0)
    cat, fleet = world.catalog, world.fleet
    machines, products = world.pair_machine[stocked], world.pair_product[stocked]
    series = pl.DataFrame(
        {
            "machine_serial": [fleet.devices[m].serial for m in machines],
            "selection": [cat.product_id[p] for p in products],
            "product_id": [cat.product_id[p] for p in products],
            "category": [cat.category[p] for p in products],
            "traffic": [
                fleet.locations[fleet.devices[m].location].traffic if traffic_known else None
                for m in machines
            ],
            "first_col": [0] * len(stocked),
            "last_col": [days - 1] * len(stocked),
        },
        schema_overrides={"traffic": pl.String},  # all None without locations
    ).with_row_index("row")
    units = warm.daily_sold[:, stocked].T.astype(float)
    panel = Panel(series, world.config.start, units, HOURS_PER_DAY * out_share, "market")
    return panel, stocked


def forecast_knowledge(
    world: World, warm: PeriodResult, traffic_known: bool = True
) -> MarketForecast:
    """Rates per pair from the demand forecast (module docstring), then the context's rules."""
    panel, stocked = market_panel(world, warm, traffic_known)
    origin = panel.days - 1
    try:
        result = run_backtest(panel)
    except NotEnoughDataError:  # too short to train: no model, as `cvd models train` says
        result = None
    method = choose(result) if result else ""
    if result and decide_for({"method": method, "scores": result.overall}, None).promote:
        model = fit_model(method, panel, result.dispersion[method])
        expected = model.expected(panel, origin, HORIZON)
    else:
        method, _ = fallback_method(panel)
        expected = simple_forecast(method, panel, origin, HORIZON)
    rate = np.full(len(world.pair_machine), np.nan)
    rate[stocked] = expected.mean(axis=1)
    return MarketForecast(
        knowledge(world, rate, "forecast"), method, expected, stocked, panel.censored_share
    )
