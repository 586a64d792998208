"""Expected demand: popularity × traffic × weekday × hour × seasonality × trend × lifecycle.

The simulator draws realised arrivals as Poisson counts around these rates, so a long run's
realised demand matches them within sampling error (tests check that).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from simulator.catalog import Catalog, lifecycle
from simulator.config import SimConfig
from simulator.fleet import Fleet

# Seasonal sensitivity by category: +1 peaks mid-July, negative peaks mid-January.
SEASON_SENSITIVITY: dict[str, float] = {
    "Beverage": 1.0,
    "Frozen": 1.6,
    "Snack": -0.4,
    "Candy": -0.5,
    "Fresh": 0.2,
}
SEASON_PEAK_DAY_OF_YEAR = 196


class DemandModel:
    """Expected arrivals per slot for a given day, and how a day spreads over its hours."""

    def __init__(self, config: SimConfig, catalog: Catalog, fleet: Fleet) -> None:
        d = config.demand
        self.config = config
        self.catalog = catalog
        traffic = np.array([d.traffic_factor[loc.traffic] for loc in fleet.locations])
        trend = np.array([loc.trend for loc in fleet.locations])
        device_loc = np.array([dev.location for dev in fleet.devices], dtype=np.int64)
        slot_loc = device_loc[fleet.slot_machine]
        self.slot_traffic = d.mean_daily_units * traffic[slot_loc]
        self.slot_trend = trend[slot_loc]
        self.product_season = np.array([SEASON_SENSITIVITY[c] for c in catalog.category])
        profile = np.asarray(d.hour_profile, dtype=float)
        self.hour_share = profile / profile.sum()
        self.weekday = np.asarray(d.weekday_factor, dtype=float)

    def product_factor(self, day: int, on: date) -> np.ndarray:
        """Per product: popularity × season × lifecycle on day ``day`` (0-based) of the run."""
        d = self.config.demand
        doy = on.timetuple().tm_yday
        season = 1.0 + d.season_amplitude * self.product_season * math.cos(
            2 * math.pi * (doy - SEASON_PEAK_DAY_OF_YEAR) / 365.25
        )
        life = lifecycle(self.catalog, day, d.ramp_days, d.fade_half_life_days)
        return self.catalog.popularity * season * life

    def expected(self, day: int, on: date, slot_product: np.ndarray) -> np.ndarray:
        """Expected arrivals per slot over the whole day (the truth's ``true_demand``)."""
        trend = np.exp(self.slot_trend * day / 365.0)
        per_product = self.product_factor(day, on)[slot_product]
        return self.slot_traffic * trend * per_product * self.weekday[on.weekday()]
