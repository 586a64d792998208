"""Run visit planning on a lake and publish its three outputs (new immutable versions)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from models.output_schemas import dataset_dir, ensure_schemas
from models.visits.output_tables import PlanTables, build_tables
from models.visits.plan import plan_fleet
from models.visits.rules import VisitRules
from models.visits.state import FleetState, read_state
from transforms.catalog import lake_connection
from transforms.lake import Location, publish

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanReport:
    """What a planning run did (for the asset's metadata)."""

    plan_date: date | None
    as_of: str | None
    machines_scored: int = 0
    needing_visit: int = 0
    planned_per_route: dict[str, int] = field(default_factory=dict)
    units_to_pick: int = 0
    projection: str = "none"


def plan_lake(lake: Location, rules: VisitRules, plan_date: date | None = None) -> PlanReport:
    """Read the lake, plan, publish ``service_scores``, ``service_plan``, ``service_plan_picks``.
    With no reads yet nothing is published (the views keep their zero-row schema files)."""
    ensure_schemas(lake)  # the ml views (the forecast among them) need their schema files
    con = lake_connection(lake, ("raw", "master", "marts", "ml"))
    try:
        state = read_state(con, rules.horizon_days)
    finally:
        con.close()
    if state is None:
        log.info("visits: no reads in %s, nothing planned", lake)
        return PlanReport(plan_date=None, as_of=None)
    tables = plan_tables(state, rules, plan_date)
    for name, table in (
        ("service_scores", tables.scores),
        ("service_plan", tables.plan),
        ("service_plan_picks", tables.picks),
    ):
        path = publish(dataset_dir(lake, name), table)
        log.info("visits: %s rows to %s", table.num_rows, path)
    return _report(state, tables)


def plan_tables(state: FleetState, rules: VisitRules, plan_date: date | None = None) -> PlanTables:
    """The outputs of planning ``state`` (no writing)."""
    plan, results = plan_fleet(state, rules, plan_date)
    for result in results:
        if result.planned:
            log.info(
                "visits: machine %s planned for %s: %s", result.serial, plan, result.why_planned
            )
    return build_tables(state, results, plan, rules)


def _report(state: FleetState, tables: PlanTables) -> PlanReport:
    routes: dict[str, int] = {}
    for route in tables.plan.column("route_id").to_pylist():
        routes[str(route)] = routes.get(str(route), 0) + 1
    return PlanReport(
        plan_date=tables.plan_date,
        as_of=state.as_of.isoformat(),
        machines_scored=tables.scores.num_rows,
        needing_visit=sum(bool(v) for v in tables.scores.column("needs_visit").to_pylist()),
        planned_per_route=routes,
        units_to_pick=sum(q or 0 for q in tables.picks.column("quantity").to_pylist()),
        projection=tables.projection,
    )
