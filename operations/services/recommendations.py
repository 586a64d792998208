"""Planogram recommendations: a manager accepts or rejects them, per cabinet.

Accepting a set of recommendations for one cabinet is one transaction: a new planogram version
(the active one with the accepted slots changed: product, capacity, par level, and the price from
the product master), a changeover service order for the cabinet (one item per changed slot,
quantity = the new par level), and one decision row per recommendation. A ``record``
recommendation (the machine already holds the product, DEX says so: only the master planogram
lags) changes the planogram version alone: it puts no item on the changeover order, and a
decision of records only creates no order (nobody has to go to the machine). Rejecting records the
decisions with a required reason. Each recommendation is decided once (``Conflict`` otherwise);
a recommendation made for a slot whose product has changed since is refused as stale.

The recommendations themselves live in the warehouse (``planogram_recommendations``); callers
pass them in as :class:`RecommendationSpec` (see :meth:`RecommendationSpec.from_row`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import Conflict, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import (
    Cabinet,
    Device,
    PlanogramVersion,
    RecommendationDecision,
    ServiceOrder,
    utcnow,
)
from operations.services import orders, planograms
from operations.services.masterdata import get_product
from operations.services.records import live
from operations.services.rows import plain_row

CHANGES: tuple[str, ...] = ("swap", "resize", "par", "record")
# Changes the office records without a visit (models/planogram/writer.py OFFICE_ONLY)
RECORDED: frozenset[str] = frozenset({"record"})
SOURCES: tuple[str, ...] = ("optimiser", "ai")
MAX_TEXT = 1000


@dataclass(frozen=True)
class RecommendationSpec:
    """One slot's recommendation as the warehouse holds it (the fields a decision needs)."""

    recommendation_id: object
    machine_serial: object
    cabinet: object  # the cabinet index on the machine (1-based)
    slot: object
    change: object
    recommended_product_id: object
    capacity: object
    par_level: object
    current_product_id: object = None
    selection: object = None
    source: object = "optimiser"
    model_version: object = ""
    run_id: object = ""
    asset_number: object = None

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> RecommendationSpec:
        """Build from a ``planogram_recommendations`` row (extra columns are ignored)."""
        return cls(**plain_row(row, tuple(cls.__dataclass_fields__)))


@dataclass(frozen=True)
class Decided:
    """What a decision produced: its rows, and for an acceptance the version and order."""

    decisions: list[RecommendationDecision]
    planogram_version: PlanogramVersion | None = None
    service_order: ServiceOrder | None = None


@dataclass(frozen=True)
class _Clean:
    recommendation_id: str
    run_id: str
    machine_serial: str
    cabinet_index: int
    slot: str
    change: str
    current_product_code: str | None
    recommended_product_code: str
    capacity: int
    par_level: int
    selection: str | None
    source: str
    model_version: str


def _optional_code(field: str, value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check.code(field, value)


def _clean(spec: object, cabinet: Cabinet) -> _Clean:
    if not isinstance(spec, RecommendationSpec):
        raise ValidationError("recommendations", spec, "must be RecommendationSpec values")
    capacity = check.integer("capacity", spec.capacity, minimum=1, maximum=planograms.MAX_CAPACITY)
    par_level = check.integer("par_level", spec.par_level, minimum=0, maximum=capacity)
    change = spec.change
    if change == "keep":
        raise ValidationError("change", change, "a 'keep' recommendation changes nothing")
    return _Clean(
        recommendation_id=check.name("recommendation_id", spec.recommendation_id, max_length=300),
        run_id=check.name("run_id", spec.run_id or "", max_length=200, required=False),
        machine_serial=check.dex_serial("machine_serial", spec.machine_serial),
        cabinet_index=check.integer("cabinet", spec.cabinet, minimum=1, maximum=99),
        slot=check.slot_position("slot", spec.slot, rows=cabinet.rows, columns=cabinet.columns),
        change=check.choice("change", change, CHANGES),
        current_product_code=_optional_code("current_product_id", spec.current_product_id),
        recommended_product_code=check.code("recommended_product_id", spec.recommended_product_id),
        capacity=capacity,
        par_level=par_level,
        selection=None
        if spec.selection is None
        else check.code("selection", spec.selection, max_length=32),
        source=check.choice("source", spec.source, SOURCES),
        model_version=check.name(
            "model_version", spec.model_version or "", max_length=200, required=False
        ),
    )


def _validated(
    session: Session, cabinet_id: object, recommendations: Sequence[RecommendationSpec]
) -> tuple[Cabinet, Device, list[_Clean]]:
    """The cabinet, its machine, and the recommendations checked against both and the log."""
    key = check.integer("cabinet_id", cabinet_id, minimum=1, maximum=2**62)
    cabinet = live(session, Cabinet, "cabinet", id=key)
    device = live(session, Device, "device", id=cabinet.device_id)
    if isinstance(recommendations, str | bytes) or not isinstance(recommendations, Sequence):
        raise ValidationError("recommendations", recommendations, "must be a list")
    if not recommendations:
        raise ValidationError("recommendations", [], "choose at least one recommendation")
    cleaned = [_clean(spec, cabinet) for spec in recommendations]
    serials = {device.dex_serial, *(alias.dex_serial for alias in device.aliases)}
    seen_ids: set[str] = set()
    seen_slots: set[str] = set()
    for rec in cleaned:
        if rec.machine_serial not in serials or rec.cabinet_index != cabinet.cabinet_index:
            raise ValidationError(
                "recommendation_id",
                rec.recommendation_id,
                f"is for {rec.machine_serial} cabinet {rec.cabinet_index}, not for cabinet "
                f"{cabinet.id} ({device.asset_number} cabinet {cabinet.cabinet_index})",
            )
        # The optimiser names each recommendation model_version:serial:cabinet:slot
        # (models/planogram/writer.py): an id that does not say what the fields say was not
        # written by it, and must not be logged as its (or the AI's) decision.
        if rec.recommendation_id not in {
            f"{rec.model_version}:{serial}:{rec.cabinet_index}:{rec.slot}" for serial in serials
        }:
            raise ValidationError(
                "recommendation_id",
                rec.recommendation_id,
                f"is not the id of model {rec.model_version}'s recommendation for "
                f"{rec.machine_serial} cabinet {rec.cabinet_index} slot {rec.slot}",
            )
        if rec.recommendation_id in seen_ids:
            raise ValidationError("recommendation_id", rec.recommendation_id, "listed twice")
        if rec.slot in seen_slots:
            raise ValidationError("slot", rec.slot, "has two recommendations in one decision")
        seen_ids.add(rec.recommendation_id)
        seen_slots.add(rec.slot)
    decided = session.scalars(
        select(RecommendationDecision).where(RecommendationDecision.recommendation_id.in_(seen_ids))
    ).all()
    if decided:
        first = decided[0]
        raise Conflict(
            f"recommendation {first.recommendation_id} was already {first.decision} by "
            f"{first.decided_by} at {first.decided_at:%Y-%m-%d %H:%M} UTC"
        )
    return cabinet, device, cleaned


def _new_slots(
    session: Session, cabinet: Cabinet, cleaned: list[_Clean]
) -> list[planograms.SlotSpec]:
    """The active planogram with the recommended slots changed (price from the product master)."""
    active = planograms.slot_rows(planograms.active_version(session, cabinet.id))
    if not active:
        raise Conflict(f"cabinet {cabinet.id} has no active planogram to change")
    by_slot = {row.slot: row for row in active}
    changed: dict[str, planograms.SlotRow] = {}
    for rec in cleaned:
        current = by_slot.get(rec.slot)
        if current is None:
            raise Conflict(
                f"slot {rec.slot} is not in the active planogram of cabinet {cabinet.id} "
                f"(recommendation {rec.recommendation_id} is stale)"
            )
        if (
            rec.current_product_code is not None
            and rec.current_product_code != current.product_code
        ):
            raise Conflict(
                f"slot {rec.slot} now holds {current.product_code}, the recommendation was made "
                f"for {rec.current_product_code}: it is stale, wait for the next run"
            )
        product = get_product(session, rec.recommended_product_code)
        changed[rec.slot] = replace(
            current,
            product_code=product.code,
            capacity=rec.capacity,
            par_level=rec.par_level,
            price_cents=product.price_cents,
        )
    return [
        planograms.SlotSpec(
            row.slot,
            row.selection,
            row.product_code,
            row.capacity,
            row.par_level,
            f"{row.price_cents / 100:.2f}",
        )
        for row in (changed.get(row.slot, row) for row in active)
    ]


def _record(
    session: Session,
    actor: Actor,
    cabinet: Cabinet,
    rec: _Clean,
    *,
    decision: str,
    reason: str,
    version_id: int | None = None,
    order_id: int | None = None,
) -> RecommendationDecision:
    row = RecommendationDecision(
        recommendation_id=rec.recommendation_id,
        run_id=rec.run_id,
        machine_serial=rec.machine_serial,
        cabinet_id=cabinet.id,
        cabinet_index=rec.cabinet_index,
        slot=rec.slot,
        change=rec.change,
        current_product_code=rec.current_product_code,
        recommended_product_code=rec.recommended_product_code,
        capacity=rec.capacity,
        par_level=rec.par_level,
        source=rec.source,
        model_version=rec.model_version,
        decision=decision,
        reason=reason,
        decided_by=actor.username,
        decided_at=utcnow(),
        planogram_version_id=version_id,
        service_order_id=order_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "accept" if decision == "accepted" else "reject",
        "recommendation",
        rec.recommendation_id,
        after=audit.snapshot(row),
    )
    return row


def accept_recommendations(
    db: DbTarget,
    actor: Actor,
    cabinet_id: object,
    recommendations: Sequence[RecommendationSpec],
    *,
    note: object = "",
    planned_date: object = None,
) -> Decided:
    """Accept recommendations for one cabinet: new planogram version + changeover order, atomic.

    The order goes to the machine's route (its driver), planned for ``planned_date`` (default:
    today, UTC), with one item per changed slot loading the new par level; ``record``
    recommendations get no item, and when all are records there is no order (``service_order``
    None) and the machine needs no route.
    """
    require(actor, Action.DECIDE_RECOMMENDATION)
    note_text = check.name("note", note, max_length=MAX_TEXT, required=False)
    planned = (
        utcnow().date()
        if planned_date is None
        else check.calendar_date("planned_date", planned_date)
    )
    with transaction(db) as session:
        cabinet, device, cleaned = _validated(session, cabinet_id, recommendations)
        visited = [rec for rec in cleaned if rec.change not in RECORDED]
        if visited and device.route is None:
            raise Conflict(
                f"machine {device.asset_number} has no route: a changeover order needs one"
            )
        sources = sorted({f"{r.source} {r.model_version}".strip() for r in cleaned})
        described = f"accepted {len(cleaned)} recommendation(s) from {', '.join(sources)}"
        full_note = f"{described}. {note_text}" if note_text else described
        version = planograms.new_planogram_version(
            session, actor, cabinet.id, _new_slots(session, cabinet, cleaned), note=full_note
        )
        order = None
        if visited:
            assert device.route is not None  # checked above
            order = orders.create_order(
                session,
                actor,
                route_code=device.route.code,
                planned_date=planned,
                cabinets={cabinet.id: [orders.ItemSpec(r.slot, r.par_level) for r in visited]},
                note=f"changeover to planogram v{version.version}. {full_note}",
                order_type="changeover",
            )
        rows = [
            _record(
                session,
                actor,
                cabinet,
                rec,
                decision="accepted",
                reason=note_text,
                version_id=version.id,
                order_id=order.id if order is not None and rec.change not in RECORDED else None,
            )
            for rec in cleaned
        ]
        return Decided(rows, version, order)


def reject_recommendations(
    db: DbTarget,
    actor: Actor,
    cabinet_id: object,
    recommendations: Sequence[RecommendationSpec],
    *,
    reason: object,
) -> Decided:
    """Reject recommendations for one cabinet, with a reason (required), audited."""
    require(actor, Action.DECIDE_RECOMMENDATION)
    reason_text = check.name("reason", reason, max_length=MAX_TEXT)
    with transaction(db) as session:
        cabinet, _, cleaned = _validated(session, cabinet_id, recommendations)
        rows = [
            _record(session, actor, cabinet, rec, decision="rejected", reason=reason_text)
            for rec in cleaned
        ]
        return Decided(rows)


def list_decisions(
    db: DbTarget,
    actor: Actor,
    *,
    cabinet_id: int | None = None,
    limit: int = 1000,
) -> list[RecommendationDecision]:
    """Decisions, newest first, optionally for one cabinet."""
    require(actor, Action.READ_RECOMMENDATIONS)
    query = (
        select(RecommendationDecision)
        .order_by(RecommendationDecision.decided_at.desc(), RecommendationDecision.id.desc())
        .limit(limit)
    )
    if cabinet_id is not None:
        query = query.where(RecommendationDecision.cabinet_id == cabinet_id)
    with transaction(db) as session:
        return list(session.scalars(query))
