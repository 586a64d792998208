"""The request sent to Claude: a static, cached part (tool, system rules) and the cabinet's data.

The static part is identical for every cabinet and every run, so it carries the prompt-cache
breakpoint (``cache_control``): tools and system come first in the cache prefix, and the
breakpoint on the last system block caches both. The cabinet's data follows in the user turn.
"""

from __future__ import annotations

import json
from typing import Any

from models.ai.limits import SIZE_ORDER
from models.ai.schema import REVIEW_TOOL, TOOL_NAME
from models.planogram.types import CabinetContext, Proposal, SlotInfo

SYSTEM_PROMPT = f"""\
You review planogram proposals for vending machines on behalf of a vending operator. A
deterministic optimiser has already proposed, for one cabinet of one machine, which product goes
into which slot, how many units each slot holds (capacity) and the level a driver fills it to at
each visit (par level). You check that proposal with the judgement of an experienced category
manager, improve it where the data clearly supports a change, and explain the result to the
manager who will approve it. You answer only by calling the tool `{TOOL_NAME}` once.

What you receive (JSON in the user turn):
- `cabinet`: machine serial, asset number, cabinet index, the expected number of days between
  service visits, the objective ("revenue" or "margin") and the manager's constraints.
- `slots`: every physical slot: position (`slot`, e.g. "A1"), DEX selection id, `size_class` (the
  largest product size the slot takes), the product in it now (`current_product_id`: what the
  machine's DEX reports there), its current capacity and par. Where the office's planogram still
  names another product (a driver's swap not yet entered), `planogram_product_id` names it:
  keeping the machine's product in such a slot is not a swap (nobody goes to the machine, the
  office only records it); putting in any other product, the planogram's included, is one.
- `candidates`: the products allowed in this cabinet with category, size, price and cost in
  cents, and `daily_demand`: the forecast uncensored demand in units per day at this machine
  (what would sell if the product never sold out). `demand_source` says whether the figure is the
  machine's own forecast or borrowed from similar products or locations (less certain); its
  value `untried` marks a product no machine of the fleet has sold yet, whose figure is only the
  typical demand of its category (the least certain: a trial, not a sure gain).
  `substitutes` gives, for up to three other products, the share of this product's customers who
  buy that product instead when this one is missing.
- `proposal`: the optimiser's assignment per slot with its expected weekly units and revenue,
  and the cabinet's current expected weekly units and revenue.

Hard rules (an answer that breaks any of them is rejected and the optimiser's proposal is used):
1. List every slot of the cabinet exactly once, by its `slot` position; no other slots.
2. Every `product_id` must be one of the candidates' ids, or "" to leave a slot empty (then
   capacity and par_level are 0); leave a slot empty only when no candidate can fill it within
   the facing limits, as the optimiser does.
3. Size compatibility: sizes order {" < ".join(SIZE_ORDER)}; a product fits a slot only if the
   product's size is not larger than the slot's `size_class`.
4. Capacity: a spiral holds at most `size_capacity[size]` units (in `cabinet`) of a product of
   that size; capacity is a whole number from 1 to that maximum.
5. Par level: a whole number from 1 to the slot's capacity.
6. Core products (`core_products`) keep at least one facing (one slot each).
7. Facings: a product occupies at least `min_facings[product]` slots when it is listed there and
   at most `max_facings[product]` slots, or `default_max_facings` for products not listed.
8. Required categories (`required_categories`) each keep at least one facing.

How to judge:
- Revenue (or margin, if that is the objective) over the service interval matters most: a slot
  that sells out long before the next visit loses sales; a slot whose product barely sells wastes
  space that a better seller or a second facing of a fast seller could use.
- Sales a slot can make between visits are limited by what it holds: roughly
  min(demand per day × days between visits, capacity) per interval.
- Prefer the optimiser's proposal unless you see a concrete reason (a constraint it handled
  poorly, an uncertain borrowed forecast driving a risky swap, a substitution the proposal
  ignores, a par level that leaves too little stock for the interval). Do not change slots for
  the sake of change; keeping the proposal is a valid, often the best, review.
- Par levels below capacity leave room for the driver; a par far below capacity on a fast seller
  is a lost-sales risk.

How to write:
- `reason` per slot: one plain sentence a manager reads on a phone, naming the product and the
  evidence (e.g. "Cola sells 6.1 a day and sold out between visits; a second facing covers the
  5-day interval."). No internal field names, no JSON, no talk about yourself.
- `summary`: two to five sentences for the whole cabinet: what changes, why, and the expected
  effect on weekly units and revenue compared with today. Mention when you kept the optimiser's
  proposal as it was.
- Money in the data is in cents; write amounts for the manager in currency units with two
  decimals.
"""


# The strongest substitutes per product sent (the shares are dense; the simulator's customers and
# the optimiser's model only use the best stocked one, so three carry the signal in a tenth of
# the tokens).
SUBSTITUTES_SENT = 3

# Models that answer a forced tool_choice with HTTP 400 (Anthropic's Sonnet 5.5 and Opus 5.5
# migration guides, read 2026-11-29): they get tool_choice "auto" and the system prompt's order to
# answer with the tool; an answer without the tool call is then rejected as invalid.
FORCED_TOOL_CHOICE_REJECTED = frozenset(
    {"claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5-1"}
)


def tool_choice(model: str) -> dict[str, Any]:
    """Force the review tool where the model allows it, else let it choose (and say so)."""
    if any(model == m or model.startswith(f"{m}-") for m in FORCED_TOOL_CHOICE_REJECTED):
        return {"type": "auto", "disable_parallel_tool_use": True}
    return {"type": "tool", "name": TOOL_NAME, "disable_parallel_tool_use": True}


def build_request(
    context: CabinetContext, proposal: Proposal, *, model: str, max_tokens: int
) -> dict[str, Any]:
    """Keyword arguments for ``client.messages.create`` reviewing ``proposal`` for ``context``."""
    return {
        "model": model,
        "max_tokens": max_tokens,
        "tools": [REVIEW_TOOL],
        "tool_choice": tool_choice(model),
        "system": [
            {"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": cabinet_data(context, proposal)}]}
        ],
        "metadata": {"user_id": f"cvd:{context.machine_serial}:{context.cabinet_index}"},
    }


def cabinet_data(context: CabinetContext, proposal: Proposal) -> str:
    """The cabinet's data and the proposal as compact JSON text (the uncached user turn)."""
    constraints = context.constraints
    payload = {
        "cabinet": {
            "machine_serial": context.machine_serial,
            "asset_number": context.asset_number,
            "cabinet_index": context.cabinet_index,
            "service_interval_days": context.service_interval_days,
            "objective": constraints.objective,
            "core_products": sorted(constraints.core_products),
            "min_facings": constraints.min_facings,
            "max_facings": constraints.max_facings,
            "default_max_facings": constraints.default_max_facings,
            "required_categories": sorted(constraints.required_categories),
            "size_capacity": dict(constraints.size_capacity),
        },
        "slots": [_slot(s) for s in context.slots],
        "candidates": [
            {
                "product_id": p.product_id,
                "name": p.name,
                "category": p.category,
                "size": p.size,
                "price_cents": p.price_cents,
                "cost_cents": p.cost_cents,
                "daily_demand": round(p.daily_demand, 3),
                "demand_source": p.demand_source,
                "substitutes": _top_substitutes(p.substitutes),
            }
            for p in context.candidates
        ],
        "proposal": {
            "current_weekly_units": round(proposal.current_weekly_units, 2),
            "current_weekly_revenue_cents": round(proposal.current_weekly_revenue_cents),
            "assignments": [
                {
                    "slot": a.slot,
                    "product_id": a.product_id,
                    "capacity": a.capacity,
                    "par_level": a.par_level,
                    "expected_weekly_units": round(a.expected_weekly_units, 2),
                    "expected_weekly_revenue_cents": round(a.expected_weekly_revenue_cents),
                    "reason": a.reason,
                }
                for a in proposal.assignments
            ],
        },
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _slot(slot: SlotInfo) -> dict[str, Any]:
    """One slot as the reviewer sees it: the product the machine holds (DEX wins, as for the
    optimiser), and the planogram's only where it lags, so keeping the machine's product is not
    judged as a swap (``SlotInfo.only_recorded``)."""
    out: dict[str, Any] = {
        "slot": slot.slot,
        "selection": slot.selection,
        "size_class": slot.size_class,
        "current_product_id": slot.held_product_id,
        "current_capacity": slot.current_capacity,
        "current_par": slot.current_par,
    }
    if slot.disagrees:
        out["planogram_product_id"] = slot.current_product_id
    return out


def _top_substitutes(shares: dict[str, float]) -> dict[str, float]:
    best = sorted(shares.items(), key=lambda item: (-item[1], item[0]))[:SUBSTITUTES_SENT]
    return {product_id: round(share, 3) for product_id, share in best if share > 0}
