"""Policy (c) for machines known only from DEX: the optimiser on the observed planogram.

What the warehouse's ``observed_planogram`` view gives a machine without master data, built from
the world the same way (docs/warehouse.md, "Observed planograms"): slots named by their DEX
selection, capacity and par level as the device reports them (PA104/PA105: the fleet's own), one
observed cabinet per category of the products the slots hold now (DEX does not say which
selection is in the cooler), candidates only of those categories, and the service days observed
from the machine's visits (door openings): in the market every service day is a visit, so they
are the device's (``visits_seen=False``: none observed, one visit a week planned for). The
forecast knows no location traffic (``forecast_knowledge(..., traffic_known=False)``).
"""

from __future__ import annotations

import numpy as np

from models.planogram.candidates import assign_cabinets, row_size_classes
from models.planogram.expectation import service_intervals
from models.planogram.optimise import optimise
from models.planogram.types import CabinetContext, Constraints, SlotInfo
from simulator.catalog import SIZE_CAPACITY
from simulator.config import CABINET_CATEGORIES
from simulator.evaluation.market import Plan, pair_par
from simulator.evaluation.policies import Cabinet, Knowledge, _apply, _candidate, current
from simulator.evaluation.world import World

NO_SERVICE_DAYS = ""  # no visit observed: the planners assume one a week


def observed_cabinets(
    world: World, know: Knowledge, seen: frozenset[str] | None = None, visits_seen: bool = True
) -> list[Cabinet]:
    """Every machine's observed cabinets under ``know``; ``seen``: if given, the only products
    that may be candidates (those some machine of the fleet reported)."""
    cat, fleet = world.catalog, world.fleet
    ids = cat.product_id
    category = {ids[p]: cat.category[p] for p in range(len(ids))}
    pair_of = world.pair_index()
    stocked = pair_par(world, current(world)) > 0  # carried at the machine: not a trial
    out = []
    for dev in fleet.devices:
        intervals = service_intervals(dev.service_days if visits_seen else NO_SERVICE_DAYS)
        sl = np.arange(dev.slot_start, dev.slot_stop)
        held = [ids[fleet.product[s]] for s in sl]
        kinds = sorted({category[p] for p in held})
        cab_of = np.array([kinds.index(category[p]) + 1 for p in held])
        current_by = {c: [held[i] for i in np.flatnonzero(cab_of == c)] for c in set(cab_of)}
        allowed = {c: {kinds[c - 1]} for c in current_by}
        machine_products = [
            int(p)
            for p in world.pair_product[world.pair_machine == dev.index]
            if category[ids[p]] in kinds and (seen is None or ids[p] in seen)
        ]
        where = assign_cabinets(current_by, allowed, category, [ids[p] for p in machine_products])
        for c in sorted(current_by):
            cs = sl[cab_of == c]
            names = [fleet.slot_selection[s] for s in cs]
            classes = row_size_classes(names, [cat.size[fleet.product[s]] for s in cs])
            slots = tuple(
                SlotInfo(
                    names[i],
                    names[i],
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
                    p,
                    pair_of[(dev.index, p)],
                    np.array(machine_products),
                    share=1.0,  # one observed cabinet per category: a product is in one only
                    carried=bool(stocked[pair_of[(dev.index, p)]]),
                )
                for p in machine_products
                if where.get(ids[p]) == c
            )
            ctx = CabinetContext(
                machine_serial=dev.serial,
                asset_number="",
                cabinet_index=int(c),
                slots=slots,
                candidates=candidates,
                service_interval_days=7.0 / len(intervals),
                constraints=Constraints(
                    required_categories=frozenset(allowed[c] & {x.category for x in candidates}),
                    size_capacity=SIZE_CAPACITY,
                ),
                service_intervals=intervals,
                substitute_probability=know.q,
                substitute_probability_sd=know.q_sd,
            )
            out.append(Cabinet(cs, ctx))
    return out


def optimised_observed(
    world: World, know: Knowledge, seen: frozenset[str] | None = None, visits_seen: bool = True
) -> Plan:
    """The optimiser's proposal for every observed cabinet under ``know``."""
    plan = current(world)
    for cab in observed_cabinets(world, know, seen, visits_seen):
        _apply(world, plan, cab, optimise(cab.context))
    return plan


def crossings(world: World, plan: Plan) -> int:
    """Slots ``plan`` gives a product of a category their physical cabinet cannot hold (the
    simulator's cabinet types): what an observed cabinet must never propose."""
    cat, fleet = world.catalog, world.fleet
    bad = 0
    for dev in fleet.devices:
        for s in range(dev.slot_start, dev.slot_stop):
            kind = dev.cabinets[int(fleet.slot_cabinet[s]) - 1]
            product = int(plan.product[s])
            bad += product >= 0 and cat.category[product] not in CABINET_CATEGORIES[kind]
    return bad
