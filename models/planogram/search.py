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


def _add_gains(prob: Problem, k: np.ndarray) -> np.ndarray:
    """Approximate gain in weekly value of one more facing of each product."""
    stock = k * prob.par
    ev = evaluate(prob, stock[None, :])
    lam_eff, best = ev.lam_eff[0], ev.best[0]
    own = prob.value * (
        weekly_sales(lam_eff, stock + prob.par, prob.intervals)
        - weekly_sales(lam_eff, stock, prob.intervals)
    )
    absent = (k == 0) & (best >= 0)
    if absent.any():
        b = best[absent]
        lost = prob.value[b] * (
            weekly_sales(lam_eff[b], stock[b], prob.intervals)
            - weekly_sales(
                np.maximum(lam_eff[b] - prob.q * prob.lam[absent], 0), stock[b], prob.intervals
            )
        )
        own[absent] -= lost
    return own


def _remove_losses(prob: Problem, k: np.ndarray) -> np.ndarray:
    """Approximate loss in weekly value of one facing fewer of each product (own sales)."""
    stock = k * prob.par
    lam = evaluate(prob, stock[None, :]).lam_eff[0]
    return prob.value * (
        weekly_sales(lam, stock, prob.intervals)
        - weekly_sales(lam, np.maximum(stock - prob.par, 0), prob.intervals)
    )


def _category_ok(prob: Problem, k: np.ndarray) -> np.ndarray:
    """Per plan (rows of ``k``): every required category has a facing."""
    k = np.atleast_2d(k)
    ok = np.ones(len(k), dtype=bool)
    cats = np.array(prob.categories)
    for c in prob.required:
        ok &= k[:, cats == c].sum(axis=1) > 0
    return ok


def _can_add(prob: Problem, k: np.ndarray, allow_relaxed: bool) -> np.ndarray:
    """Products that may get one more facing without breaking a size or maximum constraint."""
    limit = np.where(allow_relaxed & ~prob.explicit_max, np.iinfo(np.int64).max, prob.max_k)
    trial = k[None, :] + np.eye(prob.n, dtype=np.int64)
    return (k < limit) & size_feasible(prob, trial)


def initial_facings(prob: Problem, n_slots: int) -> np.ndarray:
    """The manager's minimums plus one facing for each uncovered required category."""
    k = prob.min_k.copy()
    if k.sum() > n_slots or not size_feasible(prob, k)[0]:
        raise ValueError(
            f"the minimum facings ({int(k.sum())}) do not fit the cabinet's {n_slots} slots "
            "(core products, min_facings or slot sizes)"
        )
    cats = np.array(prob.categories)
    for c in prob.required:
        if k[cats == c].sum() > 0:
            continue
        gains = np.where((cats == c) & _can_add(prob, k, False), _add_gains(prob, k), -np.inf)
        if not np.isfinite(gains).any():
            raise ValueError(f"required category {c!r} has no candidate that fits a free slot")
        k[int(np.argmax(gains))] += 1
    return k


def greedy(prob: Problem, k: np.ndarray, n_slots: int) -> np.ndarray:
    """Fill the remaining slots one facing at a time, largest approximate gain first."""
    k = k.copy()
    while k.sum() < n_slots:
        ok = _can_add(prob, k, allow_relaxed=False)
        if not ok.any():  # every product at its maximum: relax the default maximum only
            ok = _can_add(prob, k, allow_relaxed=True)
            if not ok.any():
                break
        gains = np.where(ok, _add_gains(prob, k), -np.inf)
        k[int(np.argmax(gains))] += 1
    return k


def local_search(prob: Problem, k: np.ndarray) -> np.ndarray:
    """Move single facings between products while the exact model value improves."""
    k = k.copy()
    current = float(evaluate(prob, (k * prob.par)[None, :]).value[0])
    for _ in range(MAX_MOVES):
        removable = np.flatnonzero(k > prob.min_k)
        if len(removable) == 0:
            break
        loss = _remove_losses(prob, k)[removable]
        rem = removable[np.argsort(loss)[:TOP_REMOVE]]
        gains = np.where(k < prob.max_k, _add_gains(prob, k), -np.inf)
        add = np.flatnonzero(np.isfinite(gains))
        add = add[np.argsort(-gains[add])[:TOP_ADD]]
        pairs = [(a, b) for a in rem for b in add if a != b]
        if not pairs:
            break
        trial = np.repeat(k[None, :], len(pairs), axis=0)
        rows = np.arange(len(pairs))
        trial[rows, [a for a, _ in pairs]] -= 1
        trial[rows, [b for _, b in pairs]] += 1
        ok = size_feasible(prob, trial) & _category_ok(prob, trial)
        if not ok.any():
            break
        values = np.where(ok, evaluate(prob, trial * prob.par[None, :]).value, -np.inf)
        i = int(np.argmax(values))
        if values[i] <= current * (1 + _EPS) + _EPS:
            break
        k, current = trial[i], float(values[i])
    return k


def optimise_facings(prob: Problem, n_slots: int) -> np.ndarray:
    """Facings per candidate for a cabinet of ``n_slots`` slots (see the module docstring)."""
    return local_search(prob, greedy(prob, initial_facings(prob, n_slots), n_slots))
