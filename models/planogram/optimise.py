"""The deterministic planogram optimiser: a ``CabinetContext`` in, a ``Proposal`` out.

The best facings per product come from ``search`` (greedy marginal gain + swap local search over
the expected-sales model of ``model``); the swaps actually proposed are those of today's slots
worth their cost (``changeover``: gain over the horizon beats labour and written-off stock, capped
per cabinet and for trials); the current planogram is evaluated with the same model so every
slot's expected change is explicit.
"""

from __future__ import annotations

import numpy as np

from models.planogram.changeover import choose_swaps, facings_of
from models.planogram.expectation import soldout_days
from models.planogram.model import Evaluation, Problem, build_problem, evaluate
from models.planogram.reasons import Outlook, cost_note, dex_note, slot_reason, summary
from models.planogram.search import optimise_facings
from models.planogram.types import CabinetContext, Proposal, SlotAssignment

CENTS = 100.0


def _outlooks(
    prob: Problem,
    evaluation: Evaluation,
    facings: np.ndarray,
    stock: np.ndarray,
    sources: list[str],
) -> dict[int, Outlook]:
    """Per stocked candidate: its expected week under the evaluated plan."""
    out = {}
    for i in np.flatnonzero(facings > 0):
        lam = float(evaluation.lam_eff[0, i])
        days = [soldout_days(lam, float(stock[i]), interval) for interval in prob.intervals]
        out[int(i)] = Outlook(
            name=prob.names[i],
            facings=int(facings[i]),
            units=float(evaluation.units[0, i]),
            soldout_days=float(np.mean(days)),
            source=sources[i],
        )
    return out


def current_plan(
    prob: Problem, ctx: CabinetContext
) -> tuple[np.ndarray, np.ndarray, list[int | None]]:
    """Facings and stock per candidate of the current planogram, and each slot's candidate."""
    index = {p: i for i, p in enumerate(prob.ids)}
    facings = np.zeros(prob.n, dtype=np.int64)
    stock = np.zeros(prob.n, dtype=np.int64)
    where: list[int | None] = []
    for slot in ctx.slots:
        i = index.get(slot.held_product_id or "")
        where.append(i)
        if i is not None:
            facings[i] += 1
            stock[i] += slot.current_par
    return facings, stock, where


def optimise(ctx: CabinetContext, model_version: str = "") -> Proposal:
    """The best plan found for ``ctx`` (see the module docstring) as a ``Proposal``.

    A slot holds what DEX reports there when that differs from the planogram
    (``SlotInfo.held_product_id``); a held product that is not among the candidates counts as
    selling nothing."""
    prob = build_problem(ctx)
    target = optimise_facings(prob, len(ctx.slots))
    cur_facings, cur_stock, slots_cur = current_plan(prob, ctx)
    slots_new, swaps = choose_swaps(prob, ctx, slots_cur, target)
    swap_at = {swap.slot: swap for swap in swaps}
    facings = facings_of(prob, slots_new)
    new_stock = facings * prob.par
    ev_cur = evaluate(prob, cur_stock[None, :])
    ev_new = evaluate(prob, new_stock[None, :])
    sources = [c.demand_source for c in ctx.candidates]
    before = _outlooks(prob, ev_cur, cur_facings, cur_stock, sources)
    after = _outlooks(prob, ev_new, facings, new_stock, sources)
    best_new = ev_new.best[0]
    assignments = []
    changes = 0
    recorded = 0  # of the changes, those the office records (the machine holds it already)
    for slot_index, info in enumerate(ctx.slots):
        new_candidate, current_candidate = slots_new[slot_index], slots_cur[slot_index]
        substitute = None
        if (
            current_candidate is not None
            and facings[current_candidate] == 0
            and best_new[current_candidate] >= 0
        ):
            substitute = prob.names[best_new[current_candidate]]
        reason = slot_reason(
            before.get(current_candidate) if current_candidate is not None else None,
            after.get(current_candidate) if current_candidate is not None else None,
            after.get(new_candidate) if new_candidate is not None else None,
            before.get(new_candidate) if new_candidate is not None else None,
            substitute=substitute,
            q=prob.q,
            held=info.held_product_id,
        )
        if info.disagrees:
            held = (
                prob.names[current_candidate]
                if current_candidate is not None
                else str(info.held_product_id)
            )
            reason = dex_note(info.selection, info.current_product_id, held) + reason
        if new_candidate is None:
            assignments.append(
                SlotAssignment(info.slot, info.selection, "", 0, 0, 0.0, 0.0, reason)
            )
            changes += 1
            continue
        units = float(ev_new.units[0, new_candidate]) / facings[new_candidate]
        par = int(prob.par[new_candidate])
        swap = swap_at.get(slot_index)
        recorded += int(info.only_recorded(prob.ids[new_candidate]))
        changes += int(
            info.disagrees  # the planogram must catch up with the machine, or the machine with it
            or new_candidate != current_candidate
            or par != info.current_par
            or int(prob.capacity[new_candidate]) != info.current_capacity
        )
        assignments.append(
            SlotAssignment(
                slot=info.slot,
                selection=info.selection,
                product_id=prob.ids[new_candidate],
                capacity=int(prob.capacity[new_candidate]),
                par_level=par,
                expected_weekly_units=float(units),
                expected_weekly_revenue_cents=float(units * prob.price[new_candidate]),
                reason=reason + (cost_note(swap, ctx.change_cost.horizon_weeks) if swap else ""),
                swap_cost_cents=swap.cost if swap else 0.0,
                weekly_gain_cents=swap.weekly_gain if swap else 0.0,
                gain_low_cents=swap.low if swap else 0.0,
                gain_high_cents=swap.high if swap else 0.0,
                trial=bool(swap and swap.trial),
            )
        )
    cur_units = float(ev_cur.units[0].sum())
    cur_rev = float((ev_cur.units[0] * prob.price).sum())
    new_units = float(ev_new.units[0].sum())
    new_rev = float((ev_new.units[0] * prob.price).sum())
    return Proposal(
        machine_serial=ctx.machine_serial,
        cabinet_index=ctx.cabinet_index,
        assignments=tuple(assignments),
        current_weekly_units=cur_units,
        current_weekly_revenue_cents=cur_rev,
        source="optimiser",
        model_version=model_version,
        summary=summary(
            cur_units,
            new_units,
            cur_rev / CENTS,
            new_rev / CENTS,
            changes - recorded,
            recorded=recorded,
        ),
    )


def current_slot_expectations(ctx: CabinetContext) -> list[tuple[float, float]]:
    """Expected weekly (units, revenue cents) of each slot under the current planogram (a
    product's expectation split evenly over its facings)."""
    prob = build_problem(ctx)
    facings, stock, where = current_plan(prob, ctx)
    evaluation = evaluate(prob, stock[None, :])
    out = []
    for i in where:
        if i is None:
            out.append((0.0, 0.0))
            continue
        units = float(evaluation.units[0, i]) / facings[i]
        out.append((units, units * float(prob.price[i])))
    return out
