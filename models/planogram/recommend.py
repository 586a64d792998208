"""The recommendation run: contexts from the warehouse, the optimiser, the AI review, the table."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from models.ai.config import AIConfig
from models.ai.review import refine
from models.output_schemas import ensure_schemas
from models.planogram.context import build_contexts
from models.planogram.optimise import optimise
from models.planogram.settings import PlanogramSettings
from models.planogram.types import CabinetContext, Proposal
from models.planogram.visits import next_visits
from models.planogram.writer import OFFICE_ONLY, recommendation_rows, write_recommendations
from transforms.lake import Location

log = logging.getLogger("cvd.models.planogram")
OPTIMISER_VERSION = "planogram-opt-1"


@dataclass(frozen=True)
class RecommendReport:
    """What a run did."""

    cabinets: int
    rows: int
    changed_slots: int  # slots someone has to change at the machine (swap, resize, par)
    recorded_slots: int  # slots whose planogram only has to record what the machine holds
    failed: tuple[str, ...]  # cabinets the optimiser could not solve, with the reason
    demand_source: str
    model_version: str
    ai_status: dict[str, int]
    constraints_from: str
    path: Location


def ai_refine(context: CabinetContext, proposal: Proposal, ai_config: AIConfig) -> Proposal:
    """The single AI call site: ``models.ai.review.refine`` (no key → the optimiser's proposal
    with ``ai_status="no_key"``; any failure → the optimiser's proposal and the reason)."""
    return refine(context, proposal, ai_config)


def recommend(
    lake_dir: Location,
    ai_config: AIConfig,
    plan_settings: PlanogramSettings,
    run_id: str,
    now: datetime | None = None,
) -> RecommendReport:
    """Recommend every cabinet's planogram from the lake at ``lake_dir`` within
    ``plan_settings`` (reviewed as ``ai_config`` says) and publish ml/planogram_recommendations."""
    ensure_schemas(lake_dir)  # a first run: the ml views need their schema files
    fleet = build_contexts(lake_dir, plan_settings)
    version = f"{OPTIMISER_VERSION}+{fleet.demand_version}"
    pairs: list[tuple[CabinetContext, Proposal]] = []
    failed: list[str] = []
    for ctx in fleet.contexts:
        try:
            proposal = optimise(ctx, version)
        except ValueError as exc:  # constraints that cannot be met: say so, keep going
            failed.append(f"{ctx.machine_serial}/{ctx.cabinet_index}: {exc}")
            log.error(
                "planogram: %s cabinet %s not optimised: %s",
                ctx.machine_serial,
                ctx.cabinet_index,
                exc,
            )
            continue
        final = ai_refine(ctx, proposal, ai_config)
        log.info(
            "planogram: %s cabinet %s: %s (%s, ai %s)",
            ctx.machine_serial, ctx.cabinet_index, final.summary, final.source, final.ai_status,
        )  # fmt: skip
        pairs.append((ctx, final))
    table = recommendation_rows(
        pairs, run_id, now or datetime.now().replace(microsecond=0), next_visits(lake_dir)
    )
    path = write_recommendations(lake_dir, table)
    kinds = Counter(table.column("change").to_pylist())
    recorded = sum(kinds[k] for k in OFFICE_ONLY)
    changes = table.num_rows - kinds["keep"] - recorded
    return RecommendReport(
        cabinets=len(pairs),
        rows=table.num_rows,
        changed_slots=changes,
        recorded_slots=recorded,
        failed=tuple(failed),
        demand_source=fleet.demand_source,
        model_version=version,
        ai_status=dict(Counter(p.ai_status for _, p in pairs)),
        constraints_from=plan_settings.source,
        path=path,
    )
