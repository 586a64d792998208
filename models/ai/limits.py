"""Physical limits of a slot: product sizes in order and which product fits which slot.

The size order is the optimiser's (``models.planogram.model.SIZE_RANK``). The units a spiral
holds per size are operator configuration, carried by each cabinet's constraints
(``Constraints.size_capacity``, from ``$CVD_HOME/planogram.toml``)."""

from __future__ import annotations

from models.planogram.model import SIZE_RANK

__all__ = ["SIZE_ORDER", "fits"]

SIZE_ORDER: tuple[str, ...] = tuple(SIZE_RANK)


def fits(product_size: str, slot_size_class: str) -> bool:
    """A product fits a slot when both sizes are known and the product's is not larger than the
    slot's size class."""
    return (
        product_size in SIZE_RANK
        and slot_size_class in SIZE_RANK
        and SIZE_RANK[product_size] <= SIZE_RANK[slot_size_class]
    )
