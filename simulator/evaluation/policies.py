"""The policies compared by the benchmark, each turning what it knows into a fleet ``Plan``.

(a) ``current``: keep the planogram. (b) ``proportional``: the products a cabinet holds now, with
facings (capacity) proportional to their observed sales, every product that sold keeping one.
(c) ``optimised`` with the pipeline's demand forecast trained on the warm-up's counters
(``evaluation.forecast``), substitution shares from category and appeal and the default
substitute probability, as the warehouse context plans. (d) the same optimiser
with the true mean rates of the evaluation period, the true shares and probability: the oracle.

Cabinets are built with the warehouse context's rules (``models.planogram.context``): a product
held in several cabinets is a candidate of each, its demand split between them
(``candidates.demand_shares``; by facings, as the market pools a pair's stock over its slots), a
product held nowhere a candidate of every cabinet whose categories allow it, and a product the
machine did not stock before is a trial (``CandidateProduct.carried``). Every optimised policy
pays for its swaps and is capped as ``ChangeCost`` says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.planogram.candidates import assign_cabinets, demand_shares, row_size_classes
from models.planogram.expectation import service_intervals
from models.planogram.model import build_problem
from models.planogram.optimise import optimise
from models.planogram.placement import place
from models.planogram.types import (
    CabinetContext,
    CandidateProduct,
    ChangeCost,
    Constraints,
    Proposal,
    SlotInfo,
)
from simulator.catalog import SIZE_CAPACITY
from simulator.evaluation.market import Plan, pair_par
from simulator.evaluation.world import World


@dataclass(frozen=True)
class Knowledge:
    """What a policy believes: daily rate per pair, shares [product, product], probability
    and how uncertain that probability is (a standard deviation; 0 = known)."""

    rate: np.ndarray
    share: np.ndarray
    q: float
    source: str
    q_sd: float = 0.0


@dataclass(frozen=True)
class Cabinet:
    """One cabinet of the world with its context under some knowledge."""

    slots: np.ndarray  # global slot indices
    context: CabinetContext


def cabinets(world: World, know: Knowledge, change: ChangeCost | None = None) -> list[Cabinet]:
    """Every cabinet of the fleet as the optimiser sees it (rules: the module docstring)."""
    cat, fleet = world.catalog, world.fleet
    ids, sizes = cat.product_id, cat.size
    pair_of = world.pair_index()
    stocked = pair_par(world, current(world)) > 0
    out = []
    for dev in fleet.devices:
        sl = np.arange(dev.slot_start, dev.slot_stop)
        cab_of = fleet.slot_cabinet[sl]
        current_ = {int(c): [ids[fleet.product[s]] for s in sl[cab_of == c]] for c in set(cab_of)}
        allowed = {c: {cat.category[ids.index(p)] for p in prods} for c, prods in current_.items()}
        machine_products = world.pair_product[world.pair_machine == dev.index]
        where = assign_cabinets(
            current_,
            allowed,
            {ids[p]: cat.category[p] for p in machine_products},
            [ids[p] for p in machine_products],
        )
        shares = demand_shares(current_, {})
        intervals = service_intervals(dev.service_days)
        for c in sorted(current_):
            cs = sl[cab_of == c]
            names = [fleet.slot_name[s] for s in cs]
            classes = row_size_classes(names, [sizes[fleet.product[s]] for s in cs])
            slots = tuple(
                SlotInfo(
                    names[i],
                    fleet.slot_selection[s],
                    classes[i],
                    ids[fleet.product[s]],
                    int(fleet.capacity[s]),
                    int(fleet.par[s]),
                )
                for i, s in enumerate(cs)
            )
            candidates = tuple(
                _candidate(
                    world,
                    know,
                    int(p),
                    pair_of[(dev.index, int(p))],
                    machine_products,
                    share=shares.get(ids[p], {}).get(c, 1.0),
                    carried=bool(stocked[pair_of[(dev.index, int(p))]]),
                )
                for p in machine_products
                if c in shares.get(ids[p], {where.get(ids[p]): 1.0})
            )
            ctx = CabinetContext(
                machine_serial=dev.serial,
                asset_number=dev.asset_number,
                cabinet_index=c,
                slots=slots,
                candidates=candidates,
                service_interval_days=7.0 / len(intervals),
                constraints=Constraints(
                    required_categories=frozenset(allowed[c] & {x.category for x in candidates}),
                    size_capacity=SIZE_CAPACITY,  # the market's spirals are the simulator's
                ),
                service_intervals=intervals,
                substitute_probability=know.q,
                substitute_probability_sd=know.q_sd,
                change_cost=change or ChangeCost(),
            )
            out.append(Cabinet(cs, ctx))
    return out


def _candidate(
    world: World,
    know: Knowledge,
    p: int,
    pair: int,
    machine_products: np.ndarray,
    *,
    share: float,
    carried: bool,
) -> CandidateProduct:
    cat = world.catalog
    subs = {
        cat.product_id[o]: float(know.share[p, o])
        for o in machine_products
        if o != p and know.share[p, o] > 0
    }
    return CandidateProduct(
        product_id=cat.product_id[p],
        name=cat.name[p],
        category=cat.category[p],
        size=cat.size[p],
        price_cents=int(cat.price_cents[p]),
        cost_cents=int(cat.cost_cents[p]),
        daily_demand=float(know.rate[pair]) * share,
        demand_source=know.source,
        substitutes=subs,
        carried=carried,
    )


def current(world: World) -> Plan:
    """(a) The planogram as it is."""
    return Plan(world.fleet.product.copy(), world.fleet.par.copy())


def _apply(world: World, plan: Plan, cab: Cabinet, proposal: Proposal) -> None:
    index = {p: i for i, p in enumerate(world.catalog.product_id)}
    for s, a in zip(cab.slots, proposal.assignments, strict=True):
        if a.product_id:
            plan.product[s] = index[a.product_id]
            plan.par[s] = a.par_level


def optimised(world: World, know: Knowledge, change: ChangeCost | None = None) -> Plan:
    """(c)/(d) The optimiser's proposal for every cabinet under ``know``, paying for swaps and
    capped as ``change`` says (the defaults when None)."""
    plan = current(world)
    for cab in cabinets(world, know, change):
        _apply(world, plan, cab, optimise(cab.context))
    return plan


def apportion(slots: int, weight: np.ndarray) -> np.ndarray:
    """Facings ∝ ``weight`` summing to ``slots``; at least 1 for every positive weight (the
    largest weights first when there are more of them than slots)."""
    k = np.zeros(len(weight), dtype=np.int64)
    pos = np.flatnonzero(weight > 0)
    if len(pos) == 0:
        return k
    pos = pos[np.argsort(-weight[pos], kind="stable")][:slots]
    target = np.zeros(len(weight))
    target[pos] = slots * weight[pos] / weight[pos].sum()
    k[pos] = np.maximum(1, np.floor(target[pos])).astype(np.int64)
    while k.sum() > slots:
        over = np.where(k > 1, k - target, -np.inf)
        k[int(np.argmax(over))] -= 1
    while k.sum() < slots:
        short = np.where(k > 0, target - k, -np.inf)
        k[int(np.argmax(short))] += 1
    return k


def proportional(world: World, sold: np.ndarray) -> Plan:
    """(b) Per cabinet, the products it holds now with capacity ∝ observed sales (``sold`` per
    pair, warm-up); slots the size classes leave unplaced keep their current product."""
    plan = current(world)
    n = len(world.catalog)
    know = Knowledge(np.zeros(len(sold)), np.zeros((n, n)), 0.0, "observed")
    pair_of = world.pair_index()
    index = {p: i for i, p in enumerate(world.catalog.product_id)}
    for cab in cabinets(world, know):
        ctx = cab.context
        held = sorted({s.current_product_id for s in ctx.slots if s.current_product_id})
        machine = int(world.fleet.slot_machine[cab.slots[0]])
        cands = tuple(c for c in ctx.candidates if c.product_id in held)
        prob = build_problem(
            CabinetContext(
                ctx.machine_serial,
                ctx.asset_number,
                ctx.cabinet_index,
                ctx.slots,
                cands,
                7.0,
                constraints=Constraints(size_capacity=SIZE_CAPACITY),
            )
        )
        units = np.array([sold[pair_of[(machine, index[p])]] for p in prob.ids], dtype=float)
        facings = apportion(len(ctx.slots), units / prob.capacity)
        for s, i in zip(cab.slots, place(prob, facings, ctx.slots), strict=True):
            if i is not None:
                plan.product[s] = index[prob.ids[i]]
                plan.par[s] = int(prob.par[i])
    return plan
