"""``ml/planogram_recommendations``: a row per slot of every cabinet (models/output_schemas.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import pyarrow as pa

from models.output_schemas import SCHEMAS, dataset_dir
from models.planogram.optimise import CENTS, current_slot_expectations
from models.planogram.types import CabinetContext, Proposal, SlotAssignment, SlotInfo
from models.planogram.visits import NextVisit
from transforms.lake import Location, publish

TABLE = "planogram_recommendations"
LOG = "recommendation_log"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


# Change kinds that need no one at the machine: the office records what it already holds.
OFFICE_ONLY = frozenset({"record"})


def change_kind(info: SlotInfo, new: SlotAssignment) -> str:
    """``record`` (DEX reports another product than the planogram and the proposal keeps what
    the machine holds: only the master planogram changes, nobody swaps anything), ``swap``
    (another product than the one in the machine: the planogram's, or DEX's where the two
    disagree), ``resize`` (capacity), ``par`` (par level) or ``keep``."""
    if info.only_recorded(new.product_id):
        return "record"
    if info.disagrees or (info.current_product_id or "") != new.product_id:
        return "swap"
    if info.current_capacity != new.capacity:
        return "resize"
    return "par" if info.current_par != new.par_level else "keep"


def recommendation_rows(
    pairs: Sequence[tuple[CabinetContext, Proposal]],
    run_id: str,
    created_at: datetime,
    visits: Mapping[str, NextVisit] | None = None,
) -> pa.Table:
    """The table's rows for each (context, final proposal); a changed slot carries the visit
    of ``visits`` (machine serial → next visit) it is placed on."""
    rows: list[dict[str, object]] = []
    for ctx, prop in pairs:
        visit = (visits or {}).get(ctx.machine_serial, NextVisit(None, ""))
        horizon = ctx.change_cost.horizon_weeks
        current = current_slot_expectations(ctx)
        by_slot = {a.slot: a for a in prop.assignments}
        where = f"{ctx.machine_serial}:{ctx.cabinet_index}"
        for info, (cur_units, cur_rev) in zip(ctx.slots, current, strict=True):
            assignment = by_slot.get(info.slot)
            if assignment is None:
                raise ValueError(f"{where}: no proposal for slot {info.slot}")
            kind = change_kind(info, assignment)
            on_visit = kind != "keep" and kind not in OFFICE_ONLY
            swapped = assignment.swap_cost_cents > 0 or assignment.weekly_gain_cents != 0
            rows.append(
                {
                    "recommendation_id": f"{prop.model_version}:{where}:{info.slot}",
                    "run_id": run_id,
                    "machine_serial": ctx.machine_serial,
                    "asset_number": ctx.asset_number,
                    "cabinet": ctx.cabinet_index,
                    "slot": info.slot,
                    "selection": info.selection,
                    "current_product_id": info.current_product_id,
                    "recommended_product_id": assignment.product_id or None,
                    "change": kind,
                    "current_capacity": info.current_capacity,
                    "capacity": assignment.capacity,
                    "current_par_level": info.current_par,
                    "par_level": assignment.par_level,
                    "current_weekly_units": cur_units,
                    "expected_weekly_units": assignment.expected_weekly_units,
                    "current_weekly_revenue": cur_rev / CENTS,
                    "expected_weekly_revenue": assignment.expected_weekly_revenue_cents / CENTS,
                    "expected_change_units": assignment.expected_weekly_units - cur_units,
                    "expected_change_revenue": (assignment.expected_weekly_revenue_cents - cur_rev)
                    / CENTS,
                    "objective": ctx.constraints.objective,
                    "reason": assignment.reason,
                    "source": prop.source,
                    "ai_status": prop.ai_status,
                    "ai_model": prop.ai_model,
                    "model_version": prop.model_version,
                    "created_at": created_at,
                    "swap_cost": assignment.swap_cost_cents / CENTS,
                    "weekly_gain": assignment.weekly_gain_cents / CENTS if swapped else None,
                    "weekly_gain_low": assignment.gain_low_cents / CENTS if swapped else None,
                    "weekly_gain_high": assignment.gain_high_cents / CENTS if swapped else None,
                    "horizon_weeks": horizon,
                    "net_gain": (
                        (assignment.weekly_gain_cents * horizon - assignment.swap_cost_cents)
                        / CENTS
                        if swapped
                        else None
                    ),
                    "trial": assignment.trial,
                    # a change the office records needs no visit
                    "visit_date": visit.visit_date if on_visit else None,
                    "visit_source": visit.source if on_visit else None,
                }
            )
    schema = SCHEMAS[TABLE]
    return pa.Table.from_pylist(rows, schema=schema)


def write_recommendations(lake: Location, table: pa.Table) -> Location:
    """Publish ``table`` as the new version of ml/planogram_recommendations, and its changes
    (rows other than ``keep``) into the run's own folder of ml/recommendation_log, which later
    runs leave alone (the promise an accepted change is measured against)."""
    kinds = table.column("change").to_pylist()
    runs = table.column("run_id").to_pylist()
    for run_id in sorted({str(r) for r, k in zip(runs, kinds, strict=True) if k != "keep"}):
        rows = [
            i
            for i, (r, k) in enumerate(zip(runs, kinds, strict=True))
            if k != "keep" and r == run_id
        ]
        folder = dataset_dir(lake, LOG) / f"run={_SAFE.sub('_', run_id)}"
        publish(folder, table.take(rows))
    return publish(dataset_dir(lake, TABLE), table)
