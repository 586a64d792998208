"""The evaluation world: the simulator's catalog, fleet and demand model, as a product market.

Customers want a product at a machine, not a slot: every (machine, product) pair whose category one
of the machine's cabinets holds has its own customer stream, at the rate one slot of that product
would have in the simulator (``DemandModel``: traffic × popularity × season × trend × lifecycle
× weekday, spread over the hours by the hour profile). Arrivals are drawn once per seed and
split into *flexible* customers (who try a substitute when their product is missing, probability
``q``) and *loyal* ones (thinning a Poisson stream gives two independent Poisson streams), plus a
uniform per cell for the randomised split of unmet customers: the **same customer stream** for
every policy (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from simulator.catalog import Catalog, make_catalog
from simulator.config import CABINET_CATEGORIES, DemandConfig, SimConfig
from simulator.demand import DemandModel
from simulator.fleet import Fleet, make_fleet

HOURS = 24


@dataclass(frozen=True)
class Regime:
    """A market condition: demand level (how often stock runs out) and substitution strength."""

    name: str
    demand_scale: float = 1.0
    substitute_probability: float = 0.55


@dataclass(frozen=True)
class World:
    """One seed's fleet and its customer stream."""

    config: SimConfig
    catalog: Catalog
    fleet: Fleet
    pair_machine: np.ndarray  # [pair] device index
    pair_product: np.ndarray  # [pair] product index
    rate: np.ndarray  # [day, pair] expected arrivals per day (true)
    flex: np.ndarray  # [day, hour, pair] flexible customers
    loyal: np.ndarray  # [day, hour, pair] loyal customers
    split_u: np.ndarray  # [day, hour, pair] uniform for splitting unmet customers
    hour_weight: np.ndarray  # [day, hour] expected share of an average day's demand
    q: float

    @property
    def days(self) -> int:
        """Days in the stream."""
        return self.rate.shape[0]

    def pair_index(self) -> dict[tuple[int, int], int]:
        """(device, product) → pair."""
        return {
            (int(m), int(p)): i
            for i, (m, p) in enumerate(zip(self.pair_machine, self.pair_product, strict=True))
        }


def make_world(machines: int, days: int, seed: int, regime: Regime) -> World:
    """The simulator's world for ``seed`` (same catalog and fleet as ``cvd demo-data --seed``
    with as many machines) and a customer stream of ``days`` days under ``regime``."""
    base = DemandConfig()
    config = SimConfig(
        machines=machines,
        days=days,
        seed=seed,
        demand=replace(
            base,
            mean_daily_units=base.mean_daily_units * regime.demand_scale,
            substitute_probability=regime.substitute_probability,
        ),
    )
    world_rng, stream_rng, _, _ = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    catalog = make_catalog(config, world_rng)
    fleet = make_fleet(config, catalog, world_rng)
    demand = DemandModel(config, catalog, fleet)
    pm, pp = [], []
    for dev in fleet.devices:
        cats = tuple({c for cab in dev.cabinets for c in CABINET_CATEGORIES[cab]})
        for p in catalog.in_category(cats):
            pm.append(dev.index)
            pp.append(int(p))
    pair_machine, pair_product = np.array(pm), np.array(pp)
    first_slot = np.array([dev.slot_start for dev in fleet.devices])[pair_machine]
    traffic, trend = demand.slot_traffic[first_slot], demand.slot_trend[first_slot]
    rate = np.empty((days, len(pm)))
    weekday = np.empty(days)
    for d in range(days):
        on = config.start + timedelta(days=d)
        weekday[d] = demand.weekday[on.weekday()]
        factor = demand.product_factor(d, on)[pair_product]
        rate[d] = traffic * np.exp(trend * d / 365.0) * factor * weekday[d]
    hourly = rate[:, None, :] * demand.hour_share[None, :, None]
    q = regime.substitute_probability
    flex = stream_rng.poisson(hourly * q).astype(np.int32)
    loyal = stream_rng.poisson(hourly * (1 - q)).astype(np.int32)
    split_u = stream_rng.random(flex.shape, dtype=np.float32)
    hour_weight = (weekday / demand.weekday.mean())[:, None] * demand.hour_share[None, :]
    return World(
        config=config,
        catalog=catalog,
        fleet=fleet,
        pair_machine=pair_machine,
        pair_product=pair_product,
        rate=rate,
        flex=flex,
        loyal=loyal,
        split_u=split_u,
        hour_weight=hour_weight,
        q=q,
    )
