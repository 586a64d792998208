"""How many facings each product gets: greedy marginal gain, then swap local search.

1. Start from the manager's minimums (core products, ``min_facings``), then give every required
   category its best product if it has none.
2. Greedy: add the facing with the largest expected gain in weekly value until every slot is
   used (size classes respected; a product stops at its maximum facings). The gain of a facing is
   its own extra sales; for a product not yet stocked, minus what its customers would have bought
   of its substitute (demand transfer, ``models.planogram.model``).
3. Local search: move one facing from product a to product b; the most promising pairs (smallest
   approximate loss × largest approximate gain) are evaluated exactly, in one batch, and the best
   improving move is taken, until none improves.
"""

from __future__ import annotations

import numpy as np

from models.planogram.expectation import weekly_sales
from models.planogram.model import Problem, evaluate, size_feasible

TOP_REMOVE = 10
TOP_ADD = 14
MAX_MOVES = 400
_EPS = 1e-9


def add_gains(prob: Problem, facings: np.ndarray) -> np.ndarray:
    """Approximate gain in weekly value of one more facing of each product."""
    stock = facings * prob.par
    evaluation = evaluate(prob, stock[None, :])
    lam_eff, best = evaluation.lam_eff[0], evaluation.best[0]
    own = prob.value * (
        weekly_sales(lam_eff, stock + prob.par, prob.intervals)
        - weekly_sales(lam_eff, stock, prob.intervals)
    )
    absent = (facings == 0) & (best >= 0)
    if absent.any():
        substitutes = best[absent]
        lost = prob.value[substitutes] * (
            weekly_sales(lam_eff[substitutes], stock[substitutes], prob.intervals)
            - weekly_sales(
                np.maximum(lam_eff[substitutes] - prob.q * prob.lam[absent], 0),
                stock[substitutes],
                prob.intervals,
            )
        )
        own[absent] -= lost
    return own


def _remove_losses(prob: Problem, facings: np.ndarray) -> np.ndarray:
    """Approximate loss in weekly value of one facing fewer of each product (own sales)."""
    stock = facings * prob.par
    lam = evaluate(prob, stock[None, :]).lam_eff[0]
    return prob.value * (
        weekly_sales(lam, stock, prob.intervals)
        - weekly_sales(lam, np.maximum(stock - prob.par, 0), prob.intervals)
    )


def _category_ok(prob: Problem, facings: np.ndarray) -> np.ndarray:
    """Per plan (rows of ``facings``): every required category has a facing."""
    facings = np.atleast_2d(facings)
    ok = np.ones(len(facings), dtype=bool)
    cats = np.array(prob.categories)
    for category in prob.required:
        ok &= facings[:, cats == category].sum(axis=1) > 0
    return ok


def _can_add(prob: Problem, facings: np.ndarray, allow_relaxed: bool) -> np.ndarray:
    """Products that may get one more facing without breaking a size or maximum constraint."""
    limit = np.where(allow_relaxed & ~prob.explicit_max, np.iinfo(np.int64).max, prob.max_k)
    trial = facings[None, :] + np.eye(prob.n, dtype=np.int64)
    return (facings < limit) & size_feasible(prob, trial)


def initial_facings(prob: Problem, n_slots: int) -> np.ndarray:
    """The manager's minimums plus one facing for each uncovered required category."""
    facings = prob.min_k.copy()
    if facings.sum() > n_slots or not size_feasible(prob, facings)[0]:
        raise ValueError(
            f"the minimum facings ({int(facings.sum())}) do not fit the cabinet's {n_slots} slots "
            "(core products, min_facings or slot sizes)"
        )
    cats = np.array(prob.categories)
    for category in prob.required:
        if facings[cats == category].sum() > 0:
            continue
        gains = np.where(
            (cats == category) & _can_add(prob, facings, False), add_gains(prob, facings), -np.inf
        )
        if not np.isfinite(gains).any():
            raise ValueError(
                f"required category {category!r} has no candidate that fits a free slot"
            )
        facings[int(np.argmax(gains))] += 1
    return facings


def greedy(prob: Problem, facings: np.ndarray, n_slots: int) -> np.ndarray:
    """Fill the remaining slots one facing at a time, largest approximate gain first."""
    facings = facings.copy()
    while facings.sum() < n_slots:
        ok = _can_add(prob, facings, allow_relaxed=False)
        if not ok.any():  # every product at its maximum: relax the default maximum only
            ok = _can_add(prob, facings, allow_relaxed=True)
            if not ok.any():
                break
        gains = np.where(ok, add_gains(prob, facings), -np.inf)
        facings[int(np.argmax(gains))] += 1
    return facings


def local_search(prob: Problem, facings: np.ndarray) -> np.ndarray:
    """Move single facings between products while the exact model value improves."""
    facings = facings.copy()
    current = float(evaluate(prob, (facings * prob.par)[None, :]).value[0])
    for _ in range(MAX_MOVES):
        removable = np.flatnonzero(facings > prob.min_k)
        if len(removable) == 0:
            break
        loss = _remove_losses(prob, facings)[removable]
        rem = removable[np.argsort(loss)[:TOP_REMOVE]]
        gains = np.where(facings < prob.max_k, add_gains(prob, facings), -np.inf)
        add = np.flatnonzero(np.isfinite(gains))
        add = add[np.argsort(-gains[add])[:TOP_ADD]]
        pairs = [(removed, added) for removed in rem for added in add if removed != added]
        if not pairs:
            break
        trial = np.repeat(facings[None, :], len(pairs), axis=0)
        rows = np.arange(len(pairs))
        trial[rows, [removed for removed, _ in pairs]] -= 1
        trial[rows, [added for _, added in pairs]] += 1
        ok = size_feasible(prob, trial) & _category_ok(prob, trial)
        if not ok.any():
            break
        values = np.where(ok, evaluate(prob, trial * prob.par[None, :]).value, -np.inf)
        i = int(np.argmax(values))
        if values[i] <= current * (1 + _EPS) + _EPS:
            break
        facings, current = trial[i], float(values[i])
    return facings


def optimise_facings(prob: Problem, n_slots: int) -> np.ndarray:
    """Facings per candidate for a cabinet of ``n_slots`` slots (see the module docstring)."""
    return local_search(prob, greedy(prob, initial_facings(prob, n_slots), n_slots))
