"""Serve a world's customer stream under one planogram, hour by hour.

Per (machine, product) pair the stock is the sum over the product's slots (customers take it from
whichever spiral has it); each visit (the device's service days, at its visit hour) refills every
slot to par. In an hour, a pair's customers buy while stock lasts; of those left unmet, the
flexible ones (randomised proportional split, the stream's own uniform) try the pair's substitute
— the machine's stocked product with the highest true substitution share, the simulator's rule —
first come first served in pair order, and buy if it has stock left; everyone else is lost.
Products absent from the planogram have no stock, so all their customers are unmet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from simulator.evaluation.world import HOURS, World


@dataclass(frozen=True)
class Plan:
    """A fleet-wide planogram: product index (-1 empty) and par level per global slot."""

    product: np.ndarray
    par: np.ndarray


@dataclass(frozen=True)
class PeriodResult:
    """What happened per pair over a period (own customers only in ``demand``)."""

    demand: np.ndarray  # customers wanting the pair's product
    sold_own: np.ndarray  # of them, bought it
    sub_out: np.ndarray  # of them, bought the substitute instead
    lost: np.ndarray  # of them, bought nothing
    sub_in: np.ndarray  # units sold here to other pairs' customers
    instock_weight: np.ndarray  # share of an average day's demand seen while in stock (sum)
    revenue_cents: float
    loaded_units: int
    visits: int
    daily_sold: np.ndarray  # [day, pair] units sold (own + substitutes), the counters per day
    daily_instock: np.ndarray  # [day, pair] share of an average day's demand seen in stock

    @property
    def sold(self) -> np.ndarray:
        """Units sold per pair (what the machine's counters show)."""
        return self.sold_own + self.sub_in


def pair_par(world: World, plan: Plan) -> np.ndarray:
    """Stock per pair after a visit: the sum of the par levels of the product's slots."""
    index = world.pair_index()
    par = np.zeros(len(world.pair_machine), dtype=np.int64)
    for s in np.flatnonzero(plan.product >= 0):
        key = (int(world.fleet.slot_machine[s]), int(plan.product[s]))
        if key not in index:
            raise ValueError(f"slot {s}: product {key[1]} is not sold at machine {key[0]}")
        par[index[key]] += int(plan.par[s])
    return par


def substitute_targets(world: World, stocked: np.ndarray) -> np.ndarray:
    """Per pair: the pair of the same machine whose stocked product has the highest share."""
    target = np.full(len(stocked), -1, dtype=np.int64)
    share = world.catalog.substitution
    for m in np.unique(world.pair_machine):
        pairs = np.flatnonzero(world.pair_machine == m)
        prods = world.pair_product[pairs]
        w = share[prods][:, prods] * stocked[pairs][None, :]
        np.fill_diagonal(w, 0.0)
        best = w.argmax(axis=1)
        target[pairs] = np.where(w.max(axis=1) > 0, pairs[best], -1)
    return target


def _visit_schedule(world: World, d0: int, d1: int) -> dict[tuple[int, int], np.ndarray]:
    """(day, hour) → pairs refilled then."""
    out: dict[tuple[int, int], list[np.ndarray]] = {}
    weekday = [(world.config.start + timedelta(days=d)).weekday() for d in range(d0, d1)]
    for dev in world.fleet.devices:
        pairs = np.flatnonzero(world.pair_machine == dev.index)
        for d, wd in zip(range(d0, d1), weekday, strict=True):
            if dev.service_days[wd] == "1":
                out.setdefault((d, dev.visit_hour), []).append(pairs)
    return {k: np.concatenate(v) for k, v in out.items()}


def _substitute(
    stock: np.ndarray, target: np.ndarray, tries: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sell substitutes first come first served (pair order); (success per source, per target)."""
    success = np.zeros_like(tries)
    sold_in = np.zeros_like(stock)
    active = np.flatnonzero((tries > 0) & (target >= 0))
    if len(active) == 0:
        return success, sold_in
    order = active[np.argsort(target[active], kind="stable")]
    tgt, k = target[order], tries[order]
    first = np.r_[True, tgt[1:] != tgt[:-1]]
    group = np.cumsum(first) - 1
    before = np.cumsum(k) - k
    before -= before[first][group]
    got = np.clip(stock[tgt] - before, 0, k)
    success[order] = got
    np.add.at(sold_in, tgt, got)
    return success, sold_in


def run_period(world: World, plan: Plan, d0: int, d1: int) -> PeriodResult:
    """Serve days ``[d0, d1)`` under ``plan``, starting with every slot at par."""
    par = pair_par(world, plan)
    target = substitute_targets(world, par > 0)
    price = world.catalog.price_cents[world.pair_product].astype(float)
    visits = _visit_schedule(world, d0, d1)
    n = len(par)
    stock = par.copy()
    demand, sold_own, sub_out, lost, sub_in = (np.zeros(n, dtype=np.int64) for _ in range(5))
    daily_sold = np.zeros((d1 - d0, n), dtype=np.int64)
    daily_instock = np.zeros((d1 - d0, n))
    loaded = 0
    for d in range(d0, d1):
        for h in range(HOURS):
            refill = visits.get((d, h))
            if refill is not None:
                loaded += int(np.maximum(par[refill] - stock[refill], 0).sum())
                stock[refill] = np.maximum(stock[refill], par[refill])
            a_f, a_l = world.flex[d, h], world.loyal[d, h]
            a = a_f + a_l
            sold = np.minimum(a, stock)
            frac = np.where(a > stock, stock / (a + 1.0), 1.0) * (stock > 0)
            daily_instock[d - d0] += frac * world.hour_weight[d, h]
            daily_sold[d - d0] += sold
            stock -= sold
            demand += a
            sold_own += sold
            unmet = a - sold
            if not unmet.any():
                continue
            share = np.divide(a_f, a, out=np.zeros(n), where=a > 0)
            flex_unmet = np.floor(unmet * share + world.split_u[d, h]).astype(np.int64)
            flex_unmet = np.clip(flex_unmet, 0, np.minimum(unmet, a_f))
            got, took = _substitute(stock, target, flex_unmet)
            stock -= took
            sub_in += took
            daily_sold[d - d0] += took
            sub_out += got
            lost += unmet - got
    revenue = float(((sold_own + sub_in) * price).sum())
    n_visits = sum(
        len(np.unique(world.pair_machine[p])) for (d, _), p in visits.items() if d0 <= d < d1
    )
    return PeriodResult(
        demand=demand,
        sold_own=sold_own,
        sub_out=sub_out,
        lost=lost,
        sub_in=sub_in,
        instock_weight=daily_instock.sum(axis=0),
        revenue_cents=revenue,
        loaded_units=loaded,
        visits=n_visits,
        daily_sold=daily_sold,
        daily_instock=daily_instock,
    )
