"""Expected weekly sales of a whole layout, for the figures of an AI-refined proposal.

The optimiser's own model is preferred (``models.planogram.model``: Poisson demand over the
service intervals, finite stock, substitution): the layout's stock per product (the sum of its
facings' par levels) is evaluated there and each product's weekly units are shared between its
facings in proportion to their par. So the AI's figures and the optimiser's come from one model.
Should that model be missing, :func:`estimate_weekly_by_slot` (a simple, documented rule) is the
fallback, and ``models.ai.review`` uses it only for the slots the answer affects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

import numpy as np

from models.ai.schema import EMPTY_SLOT
from models.planogram.types import CabinetContext

try:
    from models.planogram import model as optimiser_model
except ImportError:  # the optimiser's model missing: the fallback rule below is used
    optimiser_model = None

DAYS_PER_WEEK = 7.0
# slot -> (product_id, capacity, par_level)
Layout = Mapping[str, tuple[str, int, int]]
# slot -> (expected weekly units, expected weekly revenue in cents)
Expectation = dict[str, tuple[float, float]]
ExpectFn = Callable[[CabinetContext, Layout], Mapping[str, tuple[float, float]]]


def optimiser_expectation() -> ExpectFn | None:
    """Expected weekly sales per slot by the optimiser's model, or None if it is not there."""
    if optimiser_model is None:
        return None
    build_problem, evaluate = optimiser_model.build_problem, optimiser_model.evaluate

    def expect(context: CabinetContext, layout: Layout) -> Expectation:
        problem = build_problem(context)
        index = {product_id: i for i, product_id in enumerate(problem.ids)}
        stock = np.zeros(problem.n)
        for product_id, _capacity, par in layout.values():
            if product_id != EMPTY_SLOT:
                stock[index[product_id]] += par
        units = evaluate(problem, stock[None, :]).units[0]
        result: Expectation = {}
        for slot, (product_id, _capacity, par) in layout.items():
            if product_id == EMPTY_SLOT:
                result[slot] = (0.0, 0.0)
                continue
            i = index[product_id]
            slot_units = float(units[i] * par / stock[i]) if stock[i] > 0 else 0.0
            result[slot] = (slot_units, slot_units * float(problem.price[i]))
        return result

    return expect


def estimate_weekly_by_slot(context: CabinetContext, layout: Layout) -> Expectation:
    """Expected weekly units and revenue (cents) per slot by a capacity-limited rule.

    Each visit fills a product's slots to par; between visits (``service_interval_days``) the
    product sells ``min(daily_demand × interval, total par over its facings)`` units, i.e. a
    product sells what customers want until its slots are empty. Sales are shared between a
    product's facings in proportion to their par levels. Substitution is not modelled.
    """
    interval = max(context.service_interval_days, 1e-9)
    products = {p.product_id: p for p in context.candidates}
    par_total: dict[str, int] = defaultdict(int)
    for product_id, _capacity, par in layout.values():
        par_total[product_id] += par
    result: Expectation = {}
    for slot, (product_id, _capacity, par) in layout.items():
        if product_id == EMPTY_SLOT:
            result[slot] = (0.0, 0.0)
            continue
        product = products[product_id]
        per_interval = min(product.daily_demand * interval, float(par_total[product_id]))
        share = par / par_total[product_id] if par_total[product_id] else 0.0
        units = per_interval * share * DAYS_PER_WEEK / interval
        result[slot] = (units, units * product.price_cents)
    return result
