"""The three visit-planning outputs as Arrow tables with exactly the schemas of
models/output_schemas.py: ``service_scores`` (every machine), ``service_plan`` (stops per route) and
``service_plan_picks`` (per planned slot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from models.output_schemas import SCHEMAS
from models.visits.plan import MachineResult, pick_quantity
from models.visits.route import Stop, order_stops
from models.visits.rules import VisitRules
from models.visits.state import FALLBACK, FORECAST, FleetState

SOURCE_TEXT = {
    FORECAST: "levels projected with the demand forecast",
    FALLBACK: "levels projected with each slot's recent sales rate (no forecast yet)",
}


@dataclass(frozen=True)
class PlanTables:
    """The outputs of one planning run."""

    plan_date: date
    scores: pa.Table
    plan: pa.Table
    picks: pa.Table
    projection: str  # FORECAST when any machine's levels used the demand forecast, else FALLBACK


def _score_rows(
    state: FleetState, results: list[MachineResult], plan_date: date
) -> list[dict[str, object]]:
    machines = state.machines.set_index("machine_serial")
    rows = []
    for result in results:
        machine = machines.loc[result.serial]
        score = result.score_now
        text = list(result.reasons_now)
        text.append(
            f"needs service by {result.need_date.isoformat()}"
            if result.need_date
            else f"no need for service within {state.horizon_days} days"
        )
        text.append(SOURCE_TEXT[result.source])
        rows.append(
            {
                "as_of": state.as_of,
                "machine_serial": result.serial,
                "asset_number": _text(machine["asset_number"]),
                "route_id": _text(machine["route_id"]),
                "score": round(float(score.score[0]), 2),
                "needs_visit": result.need_date is not None and result.need_date <= plan_date,
                "need_date": result.need_date,
                "sold_out_slots": int(score.sold_out[0]),
                "share_depleted": round(float(score.share_depleted[0]), 4),
                "units_since_visit": round(float(score.units_since_visit[0]), 2),
                "days_since_service": round(float(score.days_since_service[0]), 2),
                "core_out": int(score.core_out[0]),
                "reasons": "; ".join(text),
            }
        )
    return rows


def _route_rows(
    state: FleetState, results: list[MachineResult], plan_date: date
) -> list[dict[str, object]]:
    machines = state.machines.set_index("machine_serial")
    planned = [r for r in results if r.planned]
    rows: list[dict[str, object]] = []
    # a machine known only from DEX has no route yet: its stops form one route of their own (None)
    routes = sorted(
        {_route(machines, r.serial) for r in planned}, key=lambda r: (r is None, r or "")
    )
    for route in routes:
        on_route = {r.serial: r for r in planned if _route(machines, r.serial) == route}
        stops = [
            Stop(
                key=serial,
                order_key=(str(machines.loc[serial]["location_id"]), serial),
                latitude=_coordinate(machines.loc[serial]["latitude"]),
                longitude=_coordinate(machines.loc[serial]["longitude"]),
            )
            for serial in on_route
        ]
        for stop_number, stop in enumerate(order_stops(stops), start=1):
            machine, result = machines.loc[stop.key], on_route[stop.key]
            rows.append(
                {
                    "plan_date": plan_date,
                    "route_id": route,
                    "driver": _text(machine["driver"]),
                    "stop": stop_number,
                    "machine_serial": stop.key,
                    "asset_number": _text(machine["asset_number"]),
                    "location_id": _text(machine["location_id"]),
                    "score": round(result.visit_score, 2),
                    "reasons": "; ".join([result.why_planned, *result.visit_reasons]),
                }
            )
    return rows


def _route(machines: pd.DataFrame, serial: str) -> str | None:
    return _text(machines.loc[serial]["route_id"])


def _text(value: Any) -> str | None:  # a frame cell: a string, or NaN/None where SQL had NULL
    """A machine known only from DEX has no asset number, route or location: NULL, not "nan"."""
    return None if value is None or pd.isna(value) else str(value)


def _coordinate(value: Any) -> float | None:  # a frame cell: a float, NaN or None
    return None if value is None or pd.isna(value) else float(value)


def _pick_rows(
    state: FleetState,
    plan: list[dict[str, object]],
    results: list[MachineResult],
    rules: VisitRules,
) -> list[dict[str, object]]:
    by_serial = {r.serial: r for r in results}
    slots = dict(tuple(state.slots.groupby("machine_serial", sort=False)))
    rows = []
    for stop in plan:
        serial = str(stop["machine_serial"])
        machine_slots = slots[serial].reset_index(drop=True)
        levels = by_serial[serial].visit_levels
        for i, (_, slot) in enumerate(machine_slots.iterrows()):  # levels are by position
            par = int(slot["par_level"])
            predicted = float(levels[i])
            rows.append(
                {
                    "plan_date": stop["plan_date"],
                    "route_id": stop["route_id"],
                    "machine_serial": serial,
                    "asset_number": _text(slot["asset_number"]),
                    "cabinet_index": int(slot["cabinet_index"]),
                    # an observed planogram's cabinet has no id in the master data
                    "cabinet_id": None if pd.isna(slot["cabinet_id"]) else int(slot["cabinet_id"]),
                    "slot": _text(slot["slot"]),
                    "selection": _text(slot["selection"]),
                    # a product the catalog does not know (a DEX-only machine's): no name, NULL
                    "product_id": _text(slot["product_id"]),
                    "product_name": _text(slot["product_name"]),
                    "par_level": par,
                    "predicted_level": round(predicted, 2),
                    "quantity": pick_quantity(par, predicted, rules.pick_rounding),
                }
            )
    return rows


def build_tables(
    state: FleetState, results: list[MachineResult], plan_date: date, rules: VisitRules
) -> PlanTables:
    """The three outputs of a planning run, typed exactly as models/output_schemas.py says."""
    plan = _route_rows(state, results, plan_date)
    return PlanTables(
        plan_date=plan_date,
        scores=pa.Table.from_pylist(
            _score_rows(state, results, plan_date), schema=SCHEMAS["service_scores"]
        ),
        plan=pa.Table.from_pylist(plan, schema=SCHEMAS["service_plan"]),
        picks=pa.Table.from_pylist(
            _pick_rows(state, plan, results, rules), schema=SCHEMAS["service_plan_picks"]
        ),
        projection=FORECAST if any(r.source == FORECAST for r in results) else FALLBACK,
    )
