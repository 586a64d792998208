"""Expected weekly sales of a whole layout, for the figures of an AI-refined proposal.

The optimiser's own model (``models.planogram.model``: Poisson demand over the service intervals,
finite stock, substitution) evaluates the layout's stock per product (the sum of its facings' par
levels); each product's weekly units are shared between its facings in proportion to their par.
So the AI's figures and the optimiser's come from one model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from models.ai.schema import EMPTY_SLOT
from models.planogram.model import build_problem, evaluate
from models.planogram.types import CabinetContext

# slot -> (product_id, capacity, par_level)
Layout = Mapping[str, tuple[str, int, int]]
# slot -> (expected weekly units, expected weekly revenue in cents)
Expectation = dict[str, tuple[float, float]]
ExpectFn = Callable[[CabinetContext, Layout], Mapping[str, tuple[float, float]]]


def expect_by_slot(context: CabinetContext, layout: Layout) -> Expectation:
    """Expected weekly sales per slot of ``layout`` by the optimiser's model."""
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
