"""Plain-language reasons for each slot's recommendation, from the model's expectations."""

from __future__ import annotations

from dataclasses import dataclass

from models.planogram.changeover import Swap

SOURCE_NOTE = {
    "borrowed": "demand borrowed from similar machines",
    "untried": "new to the fleet: demand assumed typical of its category",
    "sales_estimate": "demand estimated from sales here, corrected for sold-out time",
    "forecast": "forecast",
}
SOLDOUT_DAYS_WORTH_MENTION = 0.3


@dataclass(frozen=True)
class Outlook:
    """One product's expected week in this cabinet under one plan."""

    name: str
    facings: int
    units: float  # per week, all facings together
    soldout_days: float  # before the next visit, average interval
    source: str


def _per(units: float) -> str:
    return f"~{units:.1f} units/week" if units < 10 else f"~{units:.0f} units/week"


def _sells_out(o: Outlook) -> str:
    if o.soldout_days < SOLDOUT_DAYS_WORTH_MENTION:
        return "its stock lasts until the next visit"
    return f"it sells out ~{o.soldout_days:.1f} days before the next visit"


def _facings(n: int) -> str:
    return f"{n} facing" + ("" if n == 1 else "s")


def slot_reason(
    current: Outlook | None,
    current_after: Outlook | None,
    new: Outlook | None,
    new_before: Outlook | None,
    *,
    substitute: str | None,
    q: float,
    held: str | None = None,
) -> str:
    """Why this slot gets ``new``.

    ``current``/``new``: the slot's present and recommended products under the current and the
    recommended plan; ``current_after``: the present product under the recommended plan (None if
    dropped); ``new_before``: the recommended product under the current plan (None if absent);
    ``substitute``: the name of the dropped product's best substitute in the new plan;
    ``held``: the id of the product in the slot when it is no candidate (``current`` is None),
    None for an empty slot."""
    if new is None:
        return "Left empty: no candidate product fits this slot's size."
    if current is None and held:
        return (
            f"Replace {held} (no demand estimate: not in the product catalog) with {new.name}: "
            f"{_per(new.units)} expected."
        )
    if current is None:
        return f"Fill the empty slot with {new.name}: {_per(new.units)} expected."
    if current.name == new.name:
        if new.facings > current.facings:
            return (
                f"{new.name} sells out ~{current.soldout_days:.1f} days before the visit with "
                f"{_facings(current.facings)}; {_facings(new.facings)} add "
                f"~{new.units - current.units:.0f} units/week."
            )
        if new.facings < current.facings:
            return (
                f"Keep {new.name} with {_facings(new.facings)} instead of {current.facings}: "
                f"{_per(new.units)} still fit ({_sells_out(new)}); the freed slot earns more "
                "with another product."
            )
        return f"Keep {new.name}: {_per(new.units)}; {_sells_out(new)}."
    text = f"Replace {current.name} ({_per(current.units)} now"
    if current_after is not None:
        text += f", keeps {_facings(current_after.facings)} elsewhere)"
    else:
        text += ")"
    if new_before is not None:
        text += (
            f" with another facing of {new.name}: with {_facings(new_before.facings)} "
            f"{new.name} sells out ~{new_before.soldout_days:.1f} days before the visit; "
            f"{_facings(new.facings)} add ~{new.units - new_before.units:.0f} units/week."
        )
    else:
        note = SOURCE_NOTE.get(new.source, new.source)
        text += f" with {new.name}: {_per(new.units)} expected ({note})."
    if current_after is None and substitute:
        text += (
            f" About {q:.0%} of {current.name}'s customers are expected to buy {substitute} "
            "instead."
        )
    return text


def dex_note(selection: str, planogram_product: str | None, held: str) -> str:
    """Said first on a slot where the machine's DEX reports another product than the planogram
    (the demand was taken from what DEX reports)."""
    return (
        f"The machine reports {held} in selection {selection}, the planogram "
        f"{planogram_product or 'nothing'}: planned with what the machine reports. "
    )


def summary(
    current_units: float,
    new_units: float,
    current_rev: float,
    new_rev: float,
    changes: int,
    *,
    recorded: int = 0,
) -> str:
    """The cabinet-level sentence a manager reads first (revenue in currency units);
    ``recorded``: slots whose planogram only has to record what the machine holds (not among
    ``changes``)."""
    record = (
        f" The planogram should record what the machine holds in {recorded} slot(s)."
        if recorded
        else ""
    )
    if changes == 0:
        return (
            f"No change recommended: the current planogram is the best found ({_per(new_units)})."
            + record
        )
    return (
        f"{changes} slot(s) change: expected {_per(new_units)} instead of "
        f"{_per(current_units)}, revenue {new_rev:.2f} instead of {current_rev:.2f} per week "
        f"({new_rev - current_rev:+.2f})." + record
    )


def cost_note(swap: Swap, horizon_weeks: float) -> str:
    """Said last on a swap: the weekly gain with its 80% interval, what the swap costs and the
    net gain over the horizon (currency units), and the trial label."""
    gain, low, high, cost = (x / 100.0 for x in (swap.weekly_gain, swap.low, swap.high, swap.cost))
    trial = " Trial: the machine never carried this product." if swap.trial else ""
    return (
        f" Worth {gain:+.2f}/week (80%: {low:+.2f} to {high:+.2f}); the swap costs {cost:.2f}, "
        f"net {gain * horizon_weeks - cost:+.2f} over {horizon_weeks:g} weeks.{trial}"
    )
