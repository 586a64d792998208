"""Physical limits of a slot: product sizes in order and the units a spiral holds per size."""

from __future__ import annotations

from models.simulation.catalog import SIZE_CAPACITY as _SIZE_CAPACITY

SIZE_ORDER: tuple[str, ...] = ("S", "M", "L")
# The simulator's spirals are the fleet's spirals: one table for both.
SIZE_CAPACITY: dict[str, int] = dict(_SIZE_CAPACITY)


def fits(product_size: str, slot_size_class: str) -> bool:
    """A product fits a slot when its size is not larger than the slot's size class."""
    return SIZE_ORDER.index(product_size) <= SIZE_ORDER.index(slot_size_class)
