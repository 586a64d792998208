"""The cabinet's rules applied to the reviewer's answer: every problem found, in plain words."""

from __future__ import annotations

from collections import Counter

from models.ai.limits import fits
from models.ai.schema import EMPTY_SLOT, Review
from models.planogram.types import CabinetContext


def validate(context: CabinetContext, review: Review) -> list[str]:
    """Problems with ``review`` for ``context``; an empty list means the answer may be applied."""
    problems: list[str] = []
    slots = {s.slot: s for s in context.slots}
    products = {p.product_id: p for p in context.candidates}

    seen = Counter(d.slot for d in review.slots)
    problems += [f"slot {s}: not in this cabinet" for s in seen if s not in slots]
    problems += [f"slot {s}: listed {n} times" for s, n in seen.items() if n > 1 and s in slots]
    problems += [f"slot {s}: missing from the answer" for s in slots if s not in seen]

    for decision in review.slots:
        if decision.product_id == EMPTY_SLOT:
            if (decision.capacity, decision.par_level) != (0, 0):
                problems.append(
                    f"slot {decision.slot}: left empty but capacity/par "
                    f"{decision.capacity}/{decision.par_level}"
                )
            continue
        slot = slots.get(decision.slot)
        product = products.get(decision.product_id)
        if product is None:
            problems.append(
                f"slot {decision.slot}: product {decision.product_id} is not a candidate"
            )
            continue
        if slot is not None and not fits(product.size, slot.size_class):
            problems.append(
                f"slot {decision.slot}: product {decision.product_id} (size {product.size}) "
                f"does not fit a size-{slot.size_class} slot"
            )
        most = context.constraints.size_capacity.get(product.size)
        if most is not None and not 1 <= decision.capacity <= most:
            problems.append(
                f"slot {decision.slot}: capacity {decision.capacity} outside 1..{most} "
                f"for a size-{product.size} product ({decision.product_id})"
            )
        if not 1 <= decision.par_level <= decision.capacity:
            problems.append(
                f"slot {decision.slot}: par level {decision.par_level} "
                f"outside 1..capacity {decision.capacity}"
            )

    problems += _constraint_problems(context, review)
    return problems


def _constraint_problems(context: CabinetContext, review: Review) -> list[str]:
    constraints = context.constraints
    facings = Counter(d.product_id for d in review.slots if d.product_id != EMPTY_SLOT)
    problems = [
        f"core product {p}: no facing left"
        for p in sorted(constraints.core_products)
        if facings[p] < 1
    ]
    for product_id, least in sorted(constraints.min_facings.items()):
        if facings[product_id] < least:
            problems.append(f"product {product_id}: {facings[product_id]} facings, minimum {least}")
    for product_id, count in sorted(facings.items()):
        most = constraints.max_facings.get(product_id, constraints.default_max_facings)
        if count > most:
            problems.append(f"product {product_id}: {count} facings, maximum {most}")
    category_of = {p.product_id: p.category for p in context.candidates}
    covered = {category_of[p] for p in facings if p in category_of}
    problems += [
        f"category {cat}: no facing left"
        for cat in sorted(constraints.required_categories)
        if cat not in covered
    ]
    return problems
