"""Which slot each facing goes to: keep products where they are, respect slot size classes.

A slot of size class X takes products up to size X (S ⊂ M ⊂ L). Facings are placed largest
products first: first into slots that already hold the product (as long as the rest can still be
placed), then into the smallest free slots that take them. Nested size classes make this greedy
placement always succeed when the counts fit (``model.size_feasible``).
"""

from __future__ import annotations

import numpy as np

from models.planogram.model import SIZES, Problem
from models.planogram.types import SlotInfo


def _fits_rest(free: np.ndarray, need: np.ndarray) -> bool:
    """Hall's condition for nested classes: facings needing >= x fit the free slots >= x."""
    return all(need[x:].sum() <= free[x:].sum() for x in range(SIZES))


def place(prob: Problem, facings: np.ndarray, slots: tuple[SlotInfo, ...]) -> list[int | None]:
    """Candidate index for each slot (None: left empty)."""
    out: list[int | None] = [None] * len(slots)
    free = np.bincount(prob.slot_rank, minlength=SIZES)  # free slots per class
    need = np.bincount(prob.rank, weights=facings, minlength=SIZES).astype(np.int64)
    left = facings.astype(np.int64).copy()
    index = {p: i for i, p in enumerate(prob.ids)}
    order = sorted(range(prob.n), key=lambda i: (-prob.rank[i], -left[i], prob.ids[i]))
    for i in order:  # keep current slots
        for s, info in enumerate(slots):
            if left[i] == 0:
                break
            if out[s] is not None or index.get(info.held_product_id or "") != i:
                continue
            cls, r = prob.slot_rank[s], prob.rank[i]
            if cls < r:
                continue
            free[cls] -= 1
            need[r] -= 1
            if _fits_rest(free, need):
                out[s] = i
                left[i] -= 1
            else:
                free[cls] += 1
                need[r] += 1
    by_size = sorted(range(len(slots)), key=lambda s: (prob.slot_rank[s], s))
    for i in order:  # the rest: smallest free slot that takes the product
        for s in by_size:
            if left[i] == 0:
                break
            if out[s] is None and prob.slot_rank[s] >= prob.rank[i]:
                out[s] = i
                left[i] -= 1
    return out
