"""The planogram editor's writes: check a cabinet's edited slots, show what changes, save.

A save is a new planogram version (``planograms.write_version``) with an effective date and, if
asked, a changeover service order for that date (one item per added or changed slot, loading
its par level), in one transaction. It is refused whole, with a message naming the slot and the
field, when a slot breaks a rule: outside the grid, par level above capacity, a product that
does not fit the slot, a selection or slot used twice, an unknown or retired product.

Slot fit follows the recommender's rule (``models/planogram/candidates.row_size_classes``): a
row is one tray, pitched for the largest product it holds in the version in force, so a slot
takes products up to that size (S < M < L); a row holding nothing known takes any size.

Version check: the editor sends the version it opened; if the cabinet's version in force is
another one by the time it saves (a second editor saved first), the save is refused with
"changed since you opened it" and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import Conflict, NotFound, ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import (
    Cabinet,
    Device,
    PlanogramVersion,
    Product,
    ServiceOrder,
    utcnow,
)
from operations.services import orders
from operations.services.planograms import (
    SlotRow,
    SlotSpec,
    active_version,
    slot_rows,
    validate_slot,
    write_version,
)
from operations.services.records import live

SIZE_RANK = {"S": 0, "M": 1, "L": 2}
CHANGED_SINCE_OPENED = "changed since you opened it"


@dataclass(frozen=True)
class CabinetChoice:
    """A cabinet the editor can open: its machine, index, type and grid."""

    cabinet_id: int
    asset_number: str | None
    dex_serial: str | None
    cabinet_index: int
    cabinet_type: str
    rows: int
    columns: int
    route_code: str | None


@dataclass(frozen=True)
class SlotChange:
    """One slot that differs from the version in force: ``added``, ``removed`` or ``changed``
    (with the fields that changed)."""

    slot: str
    kind: str
    before: SlotRow | None
    after: SlotRow | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class EditorCheck:
    """The edited slots checked against the cabinet: the valid rows, every error (each naming
    its slot and field), the changes against the version in force and that version's number."""

    rows: list[SlotRow]
    errors: list[ValidationError]
    changes: list[SlotChange]
    in_force_version: int | None


@dataclass(frozen=True)
class EditorSaved:
    """What a save made: the new version, its changes and the changeover order (if asked)."""

    version: PlanogramVersion
    changes: list[SlotChange]
    order: ServiceOrder | None


def list_cabinets(db: DbTarget, actor: Actor) -> list[CabinetChoice]:
    """Every live cabinet of a live machine, by asset number and index."""
    require(actor, Action.READ_PLANOGRAM)
    query = (
        select(Cabinet, Device)
        .join(Device, Cabinet.device_id == Device.id)
        .where(Cabinet.deleted_at.is_(None), Device.deleted_at.is_(None))
        .options(selectinload(Device.route))
        .order_by(Device.asset_number, Device.dex_serial, Cabinet.cabinet_index)
    )
    with reading(db) as session:
        return [
            CabinetChoice(
                cabinet.id,
                device.asset_number,
                device.dex_serial,
                cabinet.cabinet_index,
                cabinet.cabinet_type,
                cabinet.rows,
                cabinet.columns,
                device.route.code if device.route is not None else None,
            )
            for cabinet, device in session.execute(query).all()
        ]


def row_of(slot: str) -> str:
    """The row letter(s) of a slot name (``B12`` → ``B``)."""
    return slot.rstrip("0123456789")


def row_size_classes(in_force: Sequence[tuple[str, str | None]]) -> dict[str, str]:
    """Row → the largest product size it holds in the version in force (slot, size pairs)."""
    largest: dict[str, int] = {}
    for slot, size in in_force:
        if size in SIZE_RANK:
            largest[row_of(slot)] = max(largest.get(row_of(slot), 0), SIZE_RANK[size])
    by_rank = {rank: size for size, rank in SIZE_RANK.items()}
    return {row: by_rank[rank] for row, rank in largest.items()}


def diff(before: Sequence[SlotRow], after: Sequence[SlotRow]) -> list[SlotChange]:
    """The slots that differ between two versions, in slot order."""
    old = {row.slot: row for row in before}
    new = {row.slot: row for row in after}
    changes: list[SlotChange] = []
    fields = ("selection", "product_code", "capacity", "par_level", "price_cents")
    for slot in sorted(old.keys() | new.keys(), key=lambda s: (row_of(s), len(s), s)):
        was, now = old.get(slot), new.get(slot)
        if was is None:
            changes.append(SlotChange(slot, "added", None, now, fields))
        elif now is None:
            changes.append(SlotChange(slot, "removed", was, None, fields))
        elif was != now:
            changed = tuple(f for f in fields if getattr(was, f) != getattr(now, f))
            changes.append(SlotChange(slot, "changed", was, now, changed))
    return changes


def _named(position: str, error: ValidationError) -> ValidationError:
    """The error with its slot in the field name (``slot B3 par_level``)."""
    if error.field.startswith("slot "):
        return error
    return ValidationError(f"slot {position} {error.field}", error.value, error.problem)


def _check_rows(
    session: Session, cabinet: Cabinet, specs: Sequence[SlotSpec], in_force: PlanogramVersion | None
) -> tuple[list[SlotRow], list[ValidationError]]:
    """Every slot checked; the rows that passed and every error found (not only the first)."""
    if not specs:
        return [], [ValidationError("slots", [], "a planogram needs at least one slot")]
    classes = row_size_classes(
        [(s.slot, s.product.size) for s in in_force.slots] if in_force is not None else []
    )
    rows: list[SlotRow] = []
    errors: list[ValidationError] = []
    products: dict[str, Product | None] = {}
    used: dict[str, dict[str, str]] = {"slot": {}, "selection": {}}
    for spec in specs:
        position = str(spec.slot).strip() or "?"
        try:
            row = validate_slot(spec, cabinet)
        except ValidationError as error:
            errors.append(_named(position, error))
            # still taken: a later slot with the same selection is named too
            used["selection"].setdefault(str(spec.selection).strip(), position)
            used["slot"].setdefault(position, position)
            continue
        if row.product_code not in products:
            products[row.product_code] = session.scalars(
                select(Product).where(
                    Product.code == row.product_code, Product.deleted_at.is_(None)
                )
            ).one_or_none()
        product = products[row.product_code]
        problem = _slot_problem(row, product, classes, used)
        if problem is not None:
            errors.append(problem)
            continue
        used["slot"][row.slot] = row.slot
        used["selection"][row.selection] = row.slot
        rows.append(row)
    return rows, errors


def _slot_problem(
    row: SlotRow,
    product: Product | None,
    classes: dict[str, str],
    used: dict[str, dict[str, str]],
) -> ValidationError | None:
    """Why one valid-looking slot cannot be: twice, unknown product, too large a product."""
    if row.slot in used["slot"]:
        return ValidationError(f"slot {row.slot} slot", row.slot, "appears twice in the planogram")
    if row.selection in used["selection"]:
        other = used["selection"][row.selection]
        return ValidationError(
            f"slot {row.slot} selection", row.selection, f"is already used by slot {other}"
        )
    if product is None:
        return ValidationError(
            f"slot {row.slot} product_id", row.product_code, "no such product (or it is retired)"
        )
    limit = classes.get(row_of(row.slot))
    if limit is not None and SIZE_RANK.get(product.size, 0) > SIZE_RANK[limit]:
        return ValidationError(
            f"slot {row.slot} product_id",
            row.product_code,
            f"size {product.size} does not fit: row {row_of(row.slot)} takes products up to "
            f"size {limit}",
        )
    return None


def _opened(value: object) -> int | None:
    if value is None:
        return None
    return check.integer("opened_version", value, minimum=1, maximum=2**31)


def check_edit(
    db: DbTarget, actor: Actor, cabinet_id: int, slots: Sequence[SlotSpec]
) -> EditorCheck:
    """Check edited slots and list their changes against the version in force (writes nothing)."""
    require(actor, Action.EDIT_PLANOGRAM)
    with reading(db) as session:
        cabinet = live(session, Cabinet, "cabinet", id=cabinet_id)
        in_force = active_version(session, cabinet.id)
        rows, errors = _check_rows(session, cabinet, slots, in_force)
        return EditorCheck(
            rows,
            errors,
            diff(slot_rows(in_force), rows),
            None if in_force is None else in_force.version,
        )


def save_edit(
    db: DbTarget,
    actor: Actor,
    cabinet_id: int,
    slots: Sequence[SlotSpec],
    *,
    opened_version: object,
    effective_date: object,
    changeover: bool = False,
    note: object = "",
) -> EditorSaved:
    """Save edited slots as a new version in force from ``effective_date`` (today or later),
    with a changeover order for that date if asked; all or nothing.

    ``opened_version`` is the version the editor showed (None: the cabinet had none); a save
    over another version is refused (:class:`Conflict`, "changed since you opened it")."""
    require(actor, Action.EDIT_PLANOGRAM)
    if changeover:
        require(actor, Action.CREATE_ORDER)
    opened = _opened(opened_version)
    effective = check.calendar_date("effective_date", effective_date)
    if effective < utcnow().date():
        raise ValidationError("effective_date", effective.isoformat(), "is before today")
    note_text = check.name("note", note, max_length=1000, required=False)
    try:
        with transaction(db) as session:
            return _save(
                session,
                actor,
                cabinet_id,
                slots,
                opened=opened,
                effective=effective,
                changeover=changeover,
                note=note_text,
            )
    except IntegrityError as error:  # a concurrent save took the version number first
        raise Conflict(f"the planogram of cabinet {cabinet_id} {CHANGED_SINCE_OPENED}") from error


def _save(
    session: Session,
    actor: Actor,
    cabinet_id: int,
    slots: Sequence[SlotSpec],
    *,
    opened: int | None,
    effective: date,
    changeover: bool,
    note: str,
) -> EditorSaved:
    # lock the cabinet row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers)
    cabinet = session.scalars(
        select(Cabinet).where(Cabinet.id == cabinet_id).with_for_update()
    ).one_or_none()
    if cabinet is None or cabinet.deleted_at is not None:
        raise NotFound("cabinet", cabinet_id)
    in_force = active_version(session, cabinet.id)
    now = None if in_force is None else in_force.version
    if now != opened:
        by = "" if in_force is None else f" (now v{now} by {in_force.created_by})"
        raise Conflict(f"the planogram of cabinet {cabinet.id} {CHANGED_SINCE_OPENED}{by}")
    rows, errors = _check_rows(session, cabinet, slots, in_force)
    if errors:
        raise errors[0]
    changes = diff(slot_rows(in_force), rows)
    if not changes:
        raise ValidationError("slots", len(rows), f"nothing changed against version {now}")
    order = None
    loads = [orders.ItemSpec(c.slot, c.after.par_level) for c in changes if c.after is not None]
    device = session.get_one(Device, cabinet.device_id)
    if changeover and device.route is None:
        raise ValidationError(
            "changeover", True, f"machine {device.asset_number} has no route to send an order to"
        )
    if changeover and not loads:
        raise ValidationError("changeover", True, "only slots were removed: nothing to load")
    version = write_version(session, actor, cabinet, rows, note, effective_date=effective)
    if changeover and device.route is not None:
        order = orders.create_order(
            session,
            actor,
            route_code=device.route.code,
            planned_date=effective,
            cabinets={cabinet.id: loads},
            note=f"changeover to planogram v{version.version} (editor). {note}".strip(),
            order_type="changeover",
        )
    return EditorSaved(version, changes, order)


def open_cabinet(db: DbTarget, actor: Actor, cabinet_id: int) -> tuple[int | None, list[SlotRow]]:
    """The version in force (its number, None when the cabinet has none) and its slots: what
    the editor opens, and the number its save sends back as ``opened_version``."""
    require(actor, Action.READ_PLANOGRAM)
    with reading(db) as session:
        live(session, Cabinet, "cabinet", id=cabinet_id)
        version = active_version(session, cabinet_id)
        return (None if version is None else version.version), slot_rows(version)
