"""What the operator can estimate from the warm-up: censoring-aware rates and category shares.

The machine's counters give units sold per slot and PA5 the moment a slot sold out, so demand is
estimated as units sold / the share of demand time the product was in stock: sold-out hours are
not read as zero demand (the censoring correction). The day's and week's shape of demand is
taken as known (a fleet-wide profile any operator has from payment times); the counters include
units bought as someone else's substitute, which the operator cannot separate. Products not
stocked at a machine borrow from other machines, products no machine stocks from their category
(``candidates.fill_absent``); shares follow category × appeal (``candidates.category_shares``).
The substitute probability is the pipeline's: the warehouse context leaves it at
``CabinetContext``'s default (0.55, uncertain by its s.d. 0.2), so policy (c) does too; the
oracle knows it (s.d. 0). ``substitution`` estimates it from
how much of the demand a product loses to its stock-outs its category keeps
(``planogram.substitution``), which the pipeline does not use yet (docs/planogram.md says why).
"""

from __future__ import annotations

import numpy as np

from models.planogram.candidates import (
    category_shares,
    fill_absent,
    pooled_rates,
    product_appeal,
)
from models.planogram.context import SALES_WINDOW_DAYS
from models.planogram.substitution import (
    SubstitutionEstimate,
    estimate_substitution,
    group_days,
)
from models.planogram.types import CabinetContext
from simulator.evaluation.market import PeriodResult, pair_par
from simulator.evaluation.policies import Knowledge, current
from simulator.evaluation.world import World


def _grid_index(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Machines and products of the [machine, product] grid, and each pair's row and column."""
    machines = np.unique(world.pair_machine)
    products = np.unique(world.pair_product)
    mi = np.searchsorted(machines, world.pair_machine)
    pi = np.searchsorted(products, world.pair_product)
    return machines, products, mi, pi


def knowledge(world: World, rate: np.ndarray, source: str) -> Knowledge:
    """What the warehouse context makes of per-pair rates (NaN: not observed): absent and
    untried products filled (``candidates.fill_absent``), shares by category × appeal, the
    pipeline's substitute probability."""
    machines, products, mi, pi = _grid_index(world)
    grid = np.full((len(machines), len(products)), np.nan)
    grid[mi, pi] = rate
    categories = [world.catalog.category[p] for p in products]
    _, appeal, _ = product_appeal(grid, categories)
    filled = fill_absent(grid, categories)
    ids = world.catalog.product_id
    cat = {ids[p]: world.catalog.category[p] for p in products}
    shares = category_shares(
        [ids[p] for p in products], cat, {ids[p]: a for p, a in zip(products, appeal, strict=True)}
    )
    n = len(world.catalog)
    share = np.zeros((n, n))
    index = {p: i for i, p in enumerate(ids)}
    for p, row in shares.items():
        for o, w in row.items():
            share[index[p], index[o]] = w
    return Knowledge(
        filled[mi, pi],
        share,
        CabinetContext.substitute_probability,
        source,
        CabinetContext.substitute_probability_sd,
    )


def estimate(world: World, warm: PeriodResult) -> Knowledge:
    """The context's sales-estimate path (no forecast): rates per pair (units per average day)
    from the warm-up's last ``SALES_WINDOW_DAYS`` days (the context's window, so recent launches
    and fades weigh as they do in production), pooled toward the machine × product model by
    empirical Bayes (``candidates.pooled_rates``, as the context does)."""
    machines, products, mi, pi = _grid_index(world)
    units = np.full((len(machines), len(products)), np.nan)
    exposure = np.full_like(units, np.nan)
    units[mi, pi] = warm.daily_sold[-SALES_WINDOW_DAYS:].sum(axis=0)
    exposure[mi, pi] = warm.daily_instock[-SALES_WINDOW_DAYS:].sum(axis=0)
    grid, _ = pooled_rates(units, exposure)
    return knowledge(world, grid[mi, pi], "sales_estimate")


def substitution(world: World, warm: PeriodResult) -> SubstitutionEstimate:
    """``q`` from the warm-up's daily counters and stock-outs, per (machine, category) group:
    units sold by the group's stocked products, and the demand each lost to its own stock-outs
    (its censoring-corrected rate × the share of the day's demand it was sold out)."""

    stocked = np.flatnonzero(pair_par(world, current(world)) > 0)
    level = world.hour_weight[: warm.daily_sold.shape[0]].sum(axis=1)  # [day]
    rate = warm.sold[stocked] / np.maximum(warm.instock_weight[stocked], 1e-9)
    out_share = np.maximum(level[:, None] - warm.daily_instock[:, stocked], 0.0)
    units, lost, out = group_days(
        world.pair_machine[stocked],
        np.array(world.catalog.category)[world.pair_product[stocked]],
        warm.daily_sold[:, stocked],
        rate[None, :] * out_share,
    )
    return estimate_substitution(units, lost, np.broadcast_to(level, units.shape), out)


def truth(world: World, d0: int, d1: int) -> Knowledge:
    """The oracle's knowledge: the true mean rates of ``[d0, d1)``, shares and probability."""
    return Knowledge(world.rate[d0:d1].mean(axis=0), world.catalog.substitution, world.q, "truth")
