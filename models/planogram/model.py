"""The cabinet's expected-sales model with substitution, evaluated for many plans at once.

A plan is the stock each candidate product gets at a visit (facings × par). Demand of a product is
pooled across its facings (a customer takes the product from whichever spiral has it). The
simulator's substitution rule, as an expectation:

- A customer whose product is **absent** from the cabinet buys its best stocked substitute (the
  stocked product with the highest substitution share) with probability ``q``: that rate is added
  to the substitute's Poisson demand (a sum of Poissons is Poisson).
- A customer whose product is **sold out** does the same; the expected unmet rate of each stocked
  product (its own customers' share of what it misses over the interval) is spread evenly over the
  interval and added to its substitute's demand in a second pass. This is the approximation: in
  truth those customers come late in the interval, when the substitute is emptier too, so the
  model slightly overstates what sold-out spill-over sells. Substitutes' own spill-over is not
  passed on again (one step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.planogram.expectation import DAYS_PER_WEEK, weekly_sales
from models.planogram.types import CabinetContext

SIZE_RANK: dict[str, int] = {"S": 0, "M": 1, "L": 2}
SIZES = len(SIZE_RANK)


@dataclass(frozen=True)
class Problem:
    """A cabinet's candidates as arrays (index = candidate number) and its slots' size classes."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    categories: tuple[str, ...]
    lam: np.ndarray  # units per day
    price: np.ndarray  # cents
    value: np.ndarray  # cents per unit under the objective (price or margin)
    capacity: np.ndarray  # units per facing
    par: np.ndarray  # units per facing at a visit
    rank: np.ndarray  # size rank 0..2
    share: np.ndarray  # [j, i] share of j's walk-aways choosing i (diagonal 0)
    min_k: np.ndarray
    max_k: np.ndarray
    explicit_max: np.ndarray  # bool: max_k set by the manager (never relaxed)
    required: tuple[str, ...]  # categories that need a facing
    slot_rank: np.ndarray  # per slot
    free_ge: np.ndarray  # [SIZES] slots taking products of rank >= x
    intervals: tuple[float, ...]
    q: float

    @property
    def n(self) -> int:
        """Number of candidates."""
        return len(self.ids)


def par_level(capacity: int, par_share: float) -> int:
    """Par of a facing: ``round(capacity × par_share)``, at least 1, at most the capacity."""
    return int(min(capacity, max(1, round(capacity * par_share))))


def build_problem(ctx: CabinetContext) -> Problem:
    """Arrays of ``ctx``'s candidates and constraints; raises ValueError on unusable input."""
    cons = ctx.constraints
    cands = ctx.candidates
    if not ctx.slots:
        raise ValueError(f"{ctx.machine_serial} cabinet {ctx.cabinet_index}: no slots")
    ids = tuple(c.product_id for c in cands)
    if len(set(ids)) != len(ids):
        raise ValueError(f"{ctx.machine_serial} cabinet {ctx.cabinet_index}: duplicate candidates")
    for candidate in cands:
        if candidate.size not in SIZE_RANK:
            raise ValueError(
                f"product {candidate.product_id}: size {candidate.size!r} is not S, M or L"
            )
        if candidate.size not in cons.size_capacity:
            raise ValueError(
                f"product {candidate.product_id}: no capacity set for size {candidate.size!r}"
            )
    for slot in ctx.slots:
        if slot.size_class not in SIZE_RANK:
            raise ValueError(f"slot {slot.slot}: size_class {slot.size_class!r} is not S, M or L")
    index = {p: i for i, p in enumerate(ids)}
    n = len(cands)
    price = np.array([c.price_cents for c in cands], dtype=float)
    cost = np.array([c.cost_cents for c in cands], dtype=float)
    capacity = np.array([cons.size_capacity[c.size] for c in cands], dtype=np.int64)
    share = np.zeros((n, n))
    for j, candidate in enumerate(cands):
        for substitute_id, weight in candidate.substitutes.items():
            i = index.get(substitute_id)
            if i is not None and i != j:
                share[j, i] = weight
    n_slots = len(ctx.slots)
    slot_rank = np.array([SIZE_RANK[s.size_class] for s in ctx.slots], dtype=np.int64)
    min_k = np.array(
        [max(cons.min_facings.get(p, 0), 1 if p in cons.core_products else 0) for p in ids],
        dtype=np.int64,
    )
    max_k = np.array(
        [min(cons.max_facings.get(p, cons.default_max_facings), n_slots) for p in ids],
        dtype=np.int64,
    )
    max_k = np.maximum(max_k, min_k)
    return Problem(
        ids=ids,
        names=tuple(c.name for c in cands),
        categories=tuple(c.category for c in cands),
        lam=np.array([max(0.0, c.daily_demand) for c in cands], dtype=float),
        price=price,
        value=price - cost if cons.objective == "margin" else price,
        capacity=capacity,
        par=np.array([par_level(int(c), cons.par_share) for c in capacity], dtype=np.int64),
        rank=np.array([SIZE_RANK[c.size] for c in cands], dtype=np.int64),
        share=share,
        min_k=min_k,
        max_k=max_k,
        explicit_max=np.array([p in cons.max_facings for p in ids], dtype=bool),
        required=tuple(sorted(cons.required_categories)),
        slot_rank=slot_rank,
        free_ge=np.array([(slot_rank >= x).sum() for x in range(SIZES)], dtype=np.int64),
        intervals=ctx.intervals(),
        q=float(ctx.substitute_probability),
    )


@dataclass(frozen=True)
class Evaluation:
    """Expected weekly outcome of a batch of plans ([plan, product] arrays)."""

    units: np.ndarray  # weekly units sold (own customers and substitutes)
    lam_eff: np.ndarray  # daily demand including substitution
    best: np.ndarray  # best stocked substitute per product, -1 if none
    value: np.ndarray  # [plan] weekly objective value (cents)


def best_substitutes(share: np.ndarray, stocked: np.ndarray) -> np.ndarray:
    """Per plan and product: the stocked product with the highest share, -1 if none."""
    masked = share[None, :, :] * stocked[:, None, :]
    best = masked.argmax(axis=2)
    return np.where(masked.max(axis=2) > 0, best, -1)


def _scatter(rate: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Add ``rate[b, j]`` onto ``[b, best[b, j]]`` (where best >= 0)."""
    out = np.zeros_like(rate)
    b, j = np.nonzero((best >= 0) & (rate > 0))
    np.add.at(out, (b, best[b, j]), rate[b, j])
    return out


def evaluate(prob: Problem, stock: np.ndarray) -> Evaluation:
    """Expected weekly sales of each plan (``stock``: [plan, product] units at a visit)."""
    stock = np.atleast_2d(stock)
    stocked = stock > 0
    lam = np.broadcast_to(prob.lam, stock.shape)
    best = best_substitutes(prob.share, stocked)
    extra = _scatter(np.where(stocked, 0.0, lam * prob.q), best)
    first = weekly_sales(lam + extra, stock, prob.intervals)
    total = lam + extra
    own = np.divide(first * lam, total, out=np.zeros_like(first), where=total > 0)
    unmet = np.where(stocked, np.maximum(lam - own / DAYS_PER_WEEK, 0.0), 0.0)
    extra = extra + _scatter(unmet * prob.q, best)
    lam_eff = lam + extra
    units = weekly_sales(lam_eff, stock, prob.intervals)
    return Evaluation(
        units=units, lam_eff=lam_eff, best=best, value=(units * prob.value).sum(axis=1)
    )


def size_feasible(prob: Problem, facings: np.ndarray) -> np.ndarray:
    """Per plan: can the facings be placed in slots of their size class (nested S ⊂ M ⊂ L)?"""
    facings = np.atleast_2d(facings)
    need = np.stack([facings[:, prob.rank >= x].sum(axis=1) for x in range(SIZES)], axis=1)
    return np.asarray((need <= prob.free_ge[None, :]).all(axis=1))  # an array for 2-D input
