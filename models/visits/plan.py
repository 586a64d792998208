"""Score every machine now and day by day over the horizon, and plan the visits of a date.

Per machine: the slots' levels now (from the last visit's refill or the last read, sold down at
the slot's rate), the levels projected over the horizon (the demand forecast, or the rate where
there is none), the score now and per day, the need date (first day over the threshold), and,
if planned, the picks: par minus the level predicted at the route hour of the plan date.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from models.visits.projection import first_day_over, level_at_visit, level_now, project_levels
from models.visits.rules import VisitRules
from models.visits.scoring import MachineSlots, Score, reasons, score_levels
from models.visits.state import FALLBACK, FORECAST, FleetState

log = logging.getLogger(__name__)
DAY = 86400.0
DEFAULT_VISIT_HOUR = 12.0


@dataclass(frozen=True)
class MachineResult:
    """A machine's score now, its need date and (if planned) its visit."""

    serial: str
    score_now: Score  # one row
    need_date: date | None
    reasons_now: list[str]
    source: str  # FORECAST or FALLBACK: what the projection used
    planned: bool
    why_planned: str
    visit_score: float
    visit_reasons: list[str]
    visit_levels: np.ndarray  # per slot, at the route hour of the plan date


def _days(later: datetime, earlier: datetime | None) -> float:
    return 0.0 if earlier is None or pd.isna(earlier) else (later - earlier).total_seconds() / DAY


def _core(slots: pd.DataFrame, rules: VisitRules) -> np.ndarray:
    """Core slots: those holding a configured core product, else the machine's top sellers."""
    if rules.core_products:
        return slots["product_id"].isin(rules.core_products).to_numpy()
    core = np.zeros(len(slots), dtype=bool)
    rate = slots["daily_rate"].to_numpy(dtype=float)
    top = [i for i in np.argsort(-rate, kind="stable")[: rules.core_top_n] if rate[i] > 0]
    core[top] = True
    return core


def _levels_now(
    slots: pd.DataFrame, last_visit: datetime | None, as_of: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """(level after the last visit, level now) per slot. A visit refills to par (a slot above
    par keeps its level); a read after the last visit is the newer truth."""
    par = slots["par_level"].to_numpy(dtype=float)
    rate = slots["daily_rate"].to_numpy(dtype=float)
    read_level = slots["level_at_last_read"].to_numpy(dtype=float)
    visit_level = slots["level_at_last_visit"].to_numpy(dtype=float)
    start = np.where(np.isnan(visit_level), par, np.maximum(visit_level, par))
    if last_visit is None or pd.isna(last_visit):
        start = par.copy()
    now = np.empty(len(slots))
    for i, read_at in enumerate(slots["last_read_at"]):
        if pd.isna(read_at) or np.isnan(read_level[i]):
            base, since = start[i], last_visit  # never read: as refilled at the last visit
        elif last_visit is not None and not pd.isna(last_visit) and read_at <= last_visit:
            base, since = start[i], last_visit
        else:
            base, since = read_level[i], read_at
        now[i] = level_now(np.array(base), np.array(rate[i]), _days(as_of, since))
    return start, now


def _daily_units(state: FleetState, serial: str, slots: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Expected units per horizon day and slot: the forecast, the rate where it has no row."""
    days = state.horizon_days
    rate = slots["daily_rate"].to_numpy(dtype=float)
    units = np.tile(rate, (days, 1))
    used = False
    for j, (cabinet, slot) in enumerate(zip(slots["cabinet_index"], slots["slot"], strict=True)):
        series = state.forecast.get((serial, int(cabinet), str(slot)))
        if series is not None:
            units[:, j] = np.where(np.isnan(series), rate[j], series)
            used = True
    return units, FORECAST if used else FALLBACK


def evaluate_machine(
    machine: pd.Series,
    slots: pd.DataFrame,
    state: FleetState,
    rules: VisitRules,
    plan_date: date,
) -> MachineResult:
    """Score one machine now and over the horizon, and decide whether it is visited."""
    serial = str(machine["machine_serial"])
    # a machine whose clock runs ahead of the fleet's "now" is taken as read just now
    own_last = machine["last_read_at"]
    as_of = max(state.as_of, own_last) if not pd.isna(own_last) else state.as_of
    shift = as_of - state.as_of
    last_visit = machine["last_visit_at"]
    since = last_visit if not pd.isna(last_visit) else machine["first_read_at"]
    start, now = _levels_now(slots, last_visit, as_of)
    info = MachineSlots(
        par=slots["par_level"].to_numpy(dtype=float),
        start_level=start,
        core=_core(slots, rules),
        price=slots["price"].fillna(0).to_numpy(dtype=float),
    )
    days_now = _days(as_of, since)
    score_now = score_levels(now, info, np.array([days_now]), rules)
    units, source = _daily_units(state, serial, slots)
    projected = project_levels(now, units)
    day_ends = [
        datetime.combine(d + timedelta(days=1), datetime.min.time()) + shift
        for d in state.horizon()
    ]
    days_by_day = np.array([_days(end, since) for end in day_ends])
    per_day = score_levels(projected, info, days_by_day, rules)
    first = first_day_over(per_day.score, rules.visit_threshold)
    if score_now.score[0] >= rules.visit_threshold:
        first = 1
    need_date = state.as_of_date + timedelta(days=first) if first else None

    plan_day = (plan_date - state.as_of_date).days
    hour = machine["visit_hour"]
    hour = DEFAULT_VISIT_HOUR if pd.isna(hour) else float(hour)
    visit_levels = level_at_visit(now, units, plan_day, hour / 24)
    visit_time = datetime.combine(plan_date, datetime.min.time()) + timedelta(hours=hour) + shift
    visit = score_levels(visit_levels, info, np.array([_days(visit_time, since)]), rules)
    planned, why = _decide(machine, need_date, float(visit.score[0]), rules, plan_date)
    text_now = reasons(score_now, 0, rules)
    return MachineResult(
        serial=serial,
        score_now=score_now,
        need_date=need_date,
        reasons_now=text_now,
        source=source,
        planned=planned,
        why_planned=why,
        visit_score=float(visit.score[0]),
        visit_reasons=reasons(visit, 0, rules),
        visit_levels=visit_levels,
    )


def _decide(
    machine: pd.Series, need_date: date | None, visit_score: float, rules: VisitRules, plan: date
) -> tuple[bool, str]:
    """Whether the machine is on the plan, and why in words."""
    if need_date is not None and need_date <= plan:
        return True, f"needs service by {need_date.isoformat()}"
    days = str(machine["service_days"] or "")
    service_day = len(days) == 7 and days[plan.weekday()] == "1"
    if rules.add_on_service_day and service_day and visit_score >= rules.service_day_threshold:
        return True, f"service day, score {visit_score:.0f} ≥ {rules.service_day_threshold:g}"
    return False, ""


def pick_quantity(par: float, predicted: float, rounding: str = "ceil") -> int:
    """Units to bring for a slot: par minus the predicted level, never negative; 'ceil' rounds
    up (a driver rather brings one more than runs short), 'round' to the nearest unit."""
    gap = max(par - predicted, 0.0)
    if rounding == "ceil":
        return math.ceil(gap - 1e-9)
    return math.floor(gap + 0.5)


def plan_fleet(
    state: FleetState, rules: VisitRules, plan_date: date | None = None
) -> tuple[date, list[MachineResult]]:
    """Evaluate every placed machine that has slots; returns the plan date and the results."""
    plan = plan_date or (
        date.fromisoformat(rules.plan_date) if rules.plan_date else state.as_of_date + timedelta(1)
    )
    first, last = state.horizon()[0], state.horizon()[-1]
    if not first <= plan <= last:
        raise ValueError(
            f"plan date {plan.isoformat()} is outside the forecast horizon "
            f"{first.isoformat()}..{last.isoformat()} (the data ends {state.as_of_date})"
        )
    by_machine = dict(tuple(state.slots.groupby("machine_serial", sort=False)))
    results = []
    for _, machine in state.machines.iterrows():
        slots = by_machine.get(machine["machine_serial"])
        if slots is None or slots.empty:
            log.info(
                "visits: machine %s has no active slots, not scored", machine["machine_serial"]
            )
            continue
        results.append(evaluate_machine(machine, slots.reset_index(drop=True), state, rules, plan))
    return plan, results
