"""Which product swaps are worth their cost: a greedy over single-slot swaps from today's cabinet.

The facing search (``search``) finds the best cabinet ignoring what getting there costs. A
manager pays for every swap: the driver's minutes and, for a perishable product, the stock taken
out (``types.ChangeCost``). So the swaps actually recommended are chosen from today's slots:

1. Today's slots, each holding its current candidate (what DEX reports there; ``None`` for an
   empty slot or a product that is no candidate), every facing at the standard par (re-par and
   resize are free: the driver fills to the new par anyway).
2. A move puts product ``b`` into one slot that holds ``a`` (or nothing); its **gain** is the
   exact change of the cabinet's expected weekly value (``model.evaluate``, substitution
   included), its **cost** is the labour of a swap plus, for a perishable ``a``, the expected
   units left in the slot at the visit valued at cost. Its **net gain** is
   ``gain × horizon_weeks − cost``.
3. The move with the largest net gain (a delisting's **at the worse end of the substitute
   probability's 80% range**, below) is taken while that is positive, each slot changes at most
   once, at most ``max_swaps`` per cabinet and at most ``max_trials`` products the machine never
   carried; manager rules hold (core products and ``min_facings`` keep their minimum, a required
   category keeps a facing, ``max_facings``, slot size classes). The products tried as ``b`` are
   those the facing search gives more facings than today plus the most promising by approximate
   gain; ``a`` runs over every held product.
4. The facing search's whole plan, placed on today's slots (``placement``), is taken instead
   when it keeps within the caps and its net gain (the worse end if it delists) is larger
   (swaps that only pay together).

**The substitute probability is not known** (``q``: DEX cannot show who bought another product
instead; ``CabinetContext.substitute_probability_sd``). A **delisting**, a swap that takes out
the last facing of a product that sells here, stakes all of that product's customers on ``q``:
it loses ``1 − q`` of them. Valued at the mean ``q`` alone, a delisting that pays only if
customers switch readily is recommended on an assumption nobody can check; so a delisting's net
gain is its smallest over ``q`` at the mean and at both ends of its 80% range (``q ± 1.2816
s.d.``, within [0, 1]): it is recommended only when it pays wherever ``q`` is likely to be
(maximin). Other swaps (a facing moved from a product that keeps others, an empty slot filled)
give up no product's customers and count at the mean ``q``. The gain shown is the mean ``q``'s;
with ``q`` known (s.d. 0) the mean alone counts.

**Interval** of a swap's weekly gain (80%): the gain plus or minus ``z₀.₉ = 1.2816`` standard
deviations, where the variance is that of the new product's weekly units in the slot minus the
old product's, each valued per unit: ``u + r·u²`` for ``u`` expected weekly units (Poisson noise
of a week's sales) and ``r`` the relative variance of the demand estimate
(``CandidateProduct.demand_rel_var``; negative-binomial, a Gamma-mixed Poisson), the two
products independent (normal approximation). Where ``q`` is uncertain, its share is added: the
gain's slope between the ends of ``q``'s range times ``q``'s s.d. (the gain is nearly linear in
``q``), independent of the demand noise (the variances add).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.planogram.expectation import expected_sales
from models.planogram.model import Problem, evaluate
from models.planogram.placement import place
from models.planogram.search import add_gains
from models.planogram.types import CabinetContext

Z80 = 1.2815515655446004  # standard normal 90% quantile: a two-sided 80% interval
TOP_ADD = 14


@dataclass(frozen=True)
class Swap:
    """One chosen swap of a slot."""

    slot: int  # index into the cabinet's slots
    removed: int | None  # candidate taken out (None: empty slot or no candidate)
    added: int
    weekly_gain: float  # cents per week under the objective
    cost: float  # cents
    low: float  # 80% interval of the weekly gain
    high: float
    trial: bool


def facings_of(prob: Problem, where: list[int | None]) -> np.ndarray:
    """Facings per candidate of a slot assignment."""
    facings = np.zeros(prob.n, dtype=np.int64)
    for i in where:
        if i is not None:
            facings[i] += 1
    return facings


def writeoff_cents(prob: Problem, ctx: CabinetContext, facings: np.ndarray, i: int) -> float:
    """Expected value (at cost) of the stock a swap takes out of one slot of candidate ``i``:
    nothing unless ``i`` is perishable; else its expected leftover at the visit, per facing."""
    cand = ctx.candidates[i]
    if cand.category not in ctx.change_cost.writeoff_categories or facings[i] == 0:
        return 0.0
    stock = facings * prob.par
    lam = float(evaluate(prob, stock[None, :]).lam_eff[0, i])
    interval = float(np.mean(prob.intervals))
    left = float(stock[i] - expected_sales(lam * interval, float(stock[i])))
    return left / float(facings[i]) * float(cand.cost_cents)


def _allowed_removal(prob: Problem, facings: np.ndarray, a: int | None) -> bool:
    if a is None:
        return True
    if facings[a] - 1 < prob.min_k[a]:
        return False
    cats = np.array(prob.categories)
    category = prob.categories[a]
    if category in prob.required:
        return int(facings[cats == category].sum()) > 1
    return True


def _interval(
    prob: Problem, ctx: CabinetContext, units: np.ndarray, f: np.ndarray, i: int | None
) -> tuple[float, float, float]:
    """(value per unit, weekly units of one facing, relative variance) of candidate ``i``."""
    if i is None or f[i] == 0:
        return 0.0, 0.0, 0.0
    return (
        float(prob.value[i]),
        float(units[i]) / float(f[i]),
        float(ctx.candidates[i].demand_rel_var),
    )


def _spread(
    prob: Problem,
    ctx: CabinetContext,
    plans: tuple[np.ndarray, np.ndarray],
    facings: tuple[np.ndarray, np.ndarray],
    swap: tuple[int | None, int],
) -> float:
    """Standard deviation of a swap's weekly gain (module docstring): ``plans`` are the weekly
    units per candidate before and after, ``facings`` the facings before and after."""
    a, b = swap
    total = 0.0
    for units, f, i in ((plans[1], facings[1], b), (plans[0], facings[0], a)):
        value, u, rel = _interval(prob, ctx, units, f, i)
        total += value * value * (u + rel * u * u)
    return float(np.sqrt(total))


def q_spread(probs: list[Problem], ctx: CabinetContext, ends: np.ndarray) -> float:
    """Standard deviation of a swap's weekly gain from the substitute probability's: the gain's
    slope between the ends of ``q``'s range (``ends``: the gains there) × ``q``'s s.d."""
    if len(probs) < 3 or probs[2].q <= probs[1].q:
        return 0.0
    slope = (float(ends[1]) - float(ends[0])) / (probs[2].q - probs[1].q)
    return abs(slope) * float(ctx.substitute_probability_sd)


def _value(probs: list[Problem], facings: np.ndarray) -> np.ndarray:
    """Weekly value of the facings under each of ``probs``."""
    return np.array([float(evaluate(p, (facings * p.par)[None, :]).value[0]) for p in probs])


def _in_order(
    probs: list[Problem], ctx: CabinetContext, current: list[int | None], target: list[int | None]
) -> list[Swap]:
    """The swaps from ``current`` to ``target``, applied slot by slot, each with its marginal
    gain, cost and interval (``probs``: ``q_range``, the mean first)."""
    prob = probs[0]
    carried_now = {i for i in current if i is not None}
    where = list(current)
    facings = facings_of(prob, where)
    ev = evaluate(prob, (facings * prob.par)[None, :])
    value = _value(probs, facings)
    out = []
    for s, b in enumerate(target):
        a = where[s]
        if b == a or b is None:
            continue
        cost = ctx.change_cost.labour_cents
        cost += writeoff_cents(prob, ctx, facings, a) if a is not None else 0.0
        after_f = facings.copy()
        after_f[b] += 1
        if a is not None:
            after_f[a] -= 1
        after = evaluate(prob, (after_f * prob.par)[None, :])
        gain = float(after.value[0] - ev.value[0])
        after_value = _value(probs, after_f)
        sd = float(
            np.hypot(
                _spread(prob, ctx, (ev.units[0], after.units[0]), (facings, after_f), (a, b)),
                q_spread(probs, ctx, (after_value - value)[1:]),
            )
        )
        trial = not ctx.candidates[b].carried and b not in carried_now
        out.append(Swap(s, a, b, gain, cost, gain - Z80 * sd, gain + Z80 * sd, trial))
        where[s] = b
        facings, ev, value = after_f, after, after_value
    return out


def q_range(prob: Problem, ctx: CabinetContext) -> list[Problem]:
    """``prob`` at the mean substitute probability, then at both ends of its 80% range when it
    is uncertain (module docstring)."""
    sd = float(ctx.substitute_probability_sd)
    if sd <= 0:
        return [prob]
    ends = (float(np.clip(prob.q + sign * Z80 * sd, 0.0, 1.0)) for sign in (-1.0, 1.0))
    return [prob, *(replace(prob, q=q) for q in ends)]


def delists(prob: Problem, before: np.ndarray, after: np.ndarray) -> bool:
    """Does going from facings ``before`` to ``after`` take out every facing of a product that
    sells here?"""
    return bool(((before > 0) & (after == 0) & (prob.lam > 0)).any())


def robust_net(
    probs: list[Problem],
    before: list[int | None],
    after: list[int | None],
    swaps: list[Swap],
    horizon_weeks: float,
) -> float:
    """Net gain of going from slot assignment ``before`` to ``after`` by ``swaps``: the weekly
    value gain times the horizon, minus the swaps' cost; the gain is the smallest over ``probs``
    (``q_range``) when the change delists a selling product, else the mean ``q``'s."""
    facings = [facings_of(probs[0], where) for where in (before, after)]
    if not delists(probs[0], facings[0], facings[1]):
        probs = probs[:1]
    stock = [f * probs[0].par for f in facings]
    gains = [
        float(evaluate(p, stock[1][None, :]).value[0] - evaluate(p, stock[0][None, :]).value[0])
        for p in probs
    ]
    return min(gains) * horizon_weeks - sum(s.cost for s in swaps)


def choose_swaps(
    prob: Problem, ctx: CabinetContext, current: list[int | None], target: np.ndarray
) -> tuple[list[int | None], list[Swap]]:
    """The slot assignment after the swaps worth their cost, and those swaps (module docstring).

    ``current``: each slot's current candidate; ``target``: the facing search's facings."""
    probs = q_range(prob, ctx)
    where, swaps = _greedy(probs, ctx, current, target)
    placed = place(prob, target, ctx.slots)
    if any(p is None and c is not None for p, c in zip(placed, current, strict=True)):
        return where, swaps  # the whole plan would empty a slot that holds a product today
    whole = _in_order(probs, ctx, current, placed)
    cost = ctx.change_cost
    fits = (
        len(whole) <= cost.max_swaps and len({s.added for s in whole if s.trial}) <= cost.max_trials
    )
    horizon = cost.horizon_weeks
    greedy_net = robust_net(probs, current, where, swaps, horizon) if swaps else 0.0
    if fits and whole and robust_net(probs, current, placed, whole, horizon) > max(greedy_net, 0.0):
        return placed, whole
    return where, swaps


def _greedy(
    probs: list[Problem], ctx: CabinetContext, current: list[int | None], target: np.ndarray
) -> tuple[list[int | None], list[Swap]]:
    """Steps 1-3 of the module docstring (``probs``: ``q_range``, the mean first)."""
    prob = probs[0]
    cost = ctx.change_cost
    where = list(current)
    carried_now = {i for i in where if i is not None}
    trials: set[int] = set()
    changed: set[int] = set()
    swaps: list[Swap] = []
    facings = facings_of(prob, where)
    ev = evaluate(prob, (facings * prob.par)[None, :])
    value = _value(probs, facings)
    while len(swaps) < cost.max_swaps:
        gains = add_gains(prob, facings)
        wanted = set(np.flatnonzero(target > facings).tolist())
        order = [int(i) for i in np.argsort(-gains) if np.isfinite(gains[i])]
        adds = sorted(wanted | set(order[:TOP_ADD]))
        moves: list[tuple[int, int | None, int]] = []
        for a in sorted({where[s] for s in range(len(where)) if s not in changed}, key=str):
            if not _allowed_removal(prob, facings, a):
                continue
            for b in adds:
                if b == a or facings[b] + 1 > prob.max_k[b]:
                    continue
                is_trial = not ctx.candidates[b].carried and b not in carried_now
                if is_trial and b not in trials and len(trials) >= cost.max_trials:
                    continue
                # the smallest free slot of ``a`` that takes ``b`` keeps large slots for later
                fits = [
                    s
                    for s in range(len(where))
                    if s not in changed and where[s] == a and prob.slot_rank[s] >= prob.rank[b]
                ]
                if fits:
                    moves.append((min(fits, key=lambda s: (prob.slot_rank[s], s)), a, b))
        if not moves:
            break
        trial = np.repeat(facings[None, :], len(moves), axis=0)
        for row, (_, a, b) in enumerate(moves):
            trial[row, b] += 1
            if a is not None:
                trial[row, a] -= 1
        values = np.stack([evaluate(p, trial * p.par[None, :]).value for p in probs])
        costs = np.array(
            [
                cost.labour_cents + (writeoff_cents(prob, ctx, facings, a) if a is not None else 0)
                for _, a, _ in moves
            ]
        )
        # a delisting counts at the worse end of q's range (module docstring), the rest at the
        # mean q
        gain = (values - value[:, None]) * cost.horizon_weeks
        delisting = np.array([delists(prob, facings, after) for after in trial])
        net = np.where(delisting, gain.min(axis=0), gain[0]) - costs
        best = int(np.argmax(net))
        if net[best] <= 0:
            break
        s, a, b = moves[best]
        after_f = trial[best]
        after = evaluate(prob, (after_f * prob.par)[None, :])
        gain = float(values[0, best] - value[0])
        sd = float(
            np.hypot(
                _spread(prob, ctx, (ev.units[0], after.units[0]), (facings, after_f), (a, b)),
                q_spread(probs, ctx, values[1:, best] - value[1:]),
            )
        )
        is_trial = not ctx.candidates[b].carried and b not in carried_now
        if is_trial:
            trials.add(b)
        swaps.append(
            Swap(s, a, b, gain, float(costs[best]), gain - Z80 * sd, gain + Z80 * sd, is_trial)
        )
        where[s] = b
        changed.add(s)
        facings, ev, value = after_f, after, values[:, best].copy()
    return where, swaps
