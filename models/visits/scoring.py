"""The service score of a machine from its slots' levels: weighted rules operators know (sold-out
selections, share depleted, sales since the last visit, days since service, core products out,
a maximum number of days between visits), with a plain-language reason per rule that counts.

Works on numpy arrays whose last axis is the machine's slots, so the same code scores the state
now (one row) and the projected state of every day of the horizon (one row per day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.visits.rules import VisitRules


@dataclass(frozen=True)
class MachineSlots:
    """One machine's slots (1-D arrays, same order): what the score needs besides the levels."""

    par: np.ndarray  # par level
    start_level: np.ndarray  # level right after the last visit
    core: np.ndarray  # bool: a core product
    price: np.ndarray  # currency units per unit


@dataclass(frozen=True)
class Score:
    """Score components, each an array with one value per row of levels."""

    score: np.ndarray
    sold_out: np.ndarray
    share_depleted: np.ndarray
    units_since_visit: np.ndarray
    revenue_since_visit: np.ndarray
    days_since_service: np.ndarray
    core_out: np.ndarray
    forced: np.ndarray


def score_levels(
    levels: np.ndarray, slots: MachineSlots, days_since_service: np.ndarray, rules: VisitRules
) -> Score:
    """Score rows of slot ``levels`` (shape (rows, slots) or (slots,)) with the machine's
    days since service per row."""
    levels = np.atleast_2d(np.asarray(levels, dtype=float))
    days = np.broadcast_to(np.asarray(days_since_service, dtype=float), levels.shape[:1])
    sold_out_mask = levels < rules.sold_out_below_units
    depleted = levels < rules.depleted_below_share_of_par * slots.par
    n = max(levels.shape[1], 1)
    sold = np.maximum(slots.start_level - levels, 0.0)
    sold_out = sold_out_mask.sum(axis=1)
    share = depleted.sum(axis=1) / n
    units = sold.sum(axis=1)
    revenue = (sold * slots.price).sum(axis=1)
    core_out = (sold_out_mask & slots.core).sum(axis=1)
    score = (
        rules.points_per_sold_out * sold_out
        + rules.points_per_share_depleted * share
        + rules.points_per_unit_since_visit * units
        + rules.points_per_revenue_since_visit * revenue
        + rules.points_per_day_since_service * days
        + rules.points_per_core_out * core_out
    )
    forced = days >= rules.max_days_between_visits
    score = np.where(forced, np.maximum(score, rules.visit_threshold), score)
    return Score(score, sold_out, share, units, revenue, days.copy(), core_out, forced)


def reasons(score: Score, row: int, rules: VisitRules) -> list[str]:
    """The rules behind row ``row`` of ``score`` in plain language, largest contribution first."""
    parts: list[tuple[float, str]] = []
    sold_out = int(score.sold_out[row])
    if sold_out:
        noun = "selection" if sold_out == 1 else "selections"
        parts.append((rules.points_per_sold_out * sold_out, f"{sold_out} {noun} sold out"))
    share = float(score.share_depleted[row])
    if share > 0:
        pct = round(100 * rules.depleted_below_share_of_par)
        parts.append(
            (rules.points_per_share_depleted * share, f"{share:.0%} of slots below {pct}% of par")
        )
    core = int(score.core_out[row])
    if core:
        noun = "core product" if core == 1 else "core products"
        parts.append((rules.points_per_core_out * core, f"{core} {noun} out"))
    units = float(score.units_since_visit[row])
    if units >= 0.5:
        weight = rules.points_per_unit_since_visit * units
        weight += rules.points_per_revenue_since_visit * float(score.revenue_since_visit[row])
        parts.append((weight, f"{units:.0f} units sold since the last visit"))
    days = float(score.days_since_service[row])
    if days > 0:
        parts.append((rules.points_per_day_since_service * days, f"{days:.0f} days since service"))
    parts.sort(key=lambda p: -p[0])
    text = [p[1] for p in parts]
    if bool(score.forced[row]):
        text.insert(
            0,
            f"forced visit: {days:.0f} days since service"
            f" (maximum {rules.max_days_between_visits:g})",
        )
    return text
