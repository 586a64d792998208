"""Planograms: immutable versions per cabinet, exactly one active.

A change (a manager's edit, an accepted recommendation, an import) is a new version with all its
slots; the previous version stays for history. Version numbers are assigned inside the write
transaction (``BEGIN IMMEDIATE`` on SQLite), so concurrent editors get distinct numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import Cabinet, PlanogramSlot, PlanogramVersion
from operations.services.masterdata import get_product
from operations.services.records import live

MAX_CAPACITY = 999


@dataclass(frozen=True)
class SlotSpec:
    """One slot of a planogram to write; values are validated by the service."""

    slot: object
    selection: object
    product_code: object
    capacity: object
    par_level: object
    price: object


@dataclass(frozen=True)
class SlotRow:
    """The validated content of one slot (product by code, price in cents)."""

    slot: str
    selection: str
    product_code: str
    capacity: int
    par_level: int
    price_cents: int


def validate_slot(spec: SlotSpec, cabinet: Cabinet) -> SlotRow:
    """Check one slot against the cabinet's grid and the par ≤ capacity rule."""
    slot = check.slot_position("slot", spec.slot, rows=cabinet.rows, columns=cabinet.columns)
    capacity = check.integer("capacity", spec.capacity, minimum=1, maximum=MAX_CAPACITY)
    par_level = check.integer("par_level", spec.par_level, minimum=0, maximum=MAX_CAPACITY)
    if par_level > capacity:
        raise ValidationError("par_level", par_level, f"exceeds capacity {capacity}")
    return SlotRow(
        slot=slot,
        selection=check.code("selection", spec.selection, max_length=32),
        product_code=check.code("product_id", spec.product_code),
        capacity=capacity,
        par_level=par_level,
        price_cents=check.money_cents("price", spec.price),
    )


def _validate_all(slots: Sequence[SlotSpec], cabinet: Cabinet) -> list[SlotRow]:
    if not slots:
        raise ValidationError("slots", [], "a planogram needs at least one slot")
    rows = [validate_slot(spec, cabinet) for spec in slots]
    for field in ("slot", "selection"):
        seen: set[str] = set()
        for row in rows:
            value = getattr(row, field)
            if value in seen:
                raise ValidationError(field, value, "appears twice in the planogram")
            seen.add(value)
    return rows


def active_version(session: Session, cabinet_id: int) -> PlanogramVersion | None:
    """The active version of the cabinet with its slots and products loaded."""
    query = (
        select(PlanogramVersion)
        .where(PlanogramVersion.cabinet_id == cabinet_id, PlanogramVersion.is_active)
        .options(selectinload(PlanogramVersion.slots).selectinload(PlanogramSlot.product))
    )
    return session.scalars(query).one_or_none()


def slot_rows(version: PlanogramVersion | None) -> list[SlotRow]:
    """The version's slots as comparable rows (empty for no version)."""
    if version is None:
        return []
    return [
        SlotRow(s.slot, s.selection, s.product.code, s.capacity, s.par_level, s.price_cents)
        for s in version.slots
    ]


def write_version(
    session: Session,
    actor: Actor,
    cabinet: Cabinet,
    rows: list[SlotRow],
    note: str,
    *,
    effective_date: date | None = None,
) -> PlanogramVersion:
    """Insert a new active version with ``rows`` and retire the previous one (audited);
    ``effective_date`` is the day it is meant to be in the machine (the editor's changeover)."""
    # Two writers to one cabinet take turns here: on PostgreSQL both would otherwise read the
    # same max(version) and one would fail on the unique (cabinet, version). SQLite's write
    # transactions are serialised already (BEGIN IMMEDIATE), and SQLAlchemy omits FOR UPDATE.
    session.execute(select(Cabinet.id).where(Cabinet.id == cabinet.id).with_for_update())
    previous = active_version(session, cabinet.id)
    number = (
        session.scalar(
            select(func.max(PlanogramVersion.version)).where(
                PlanogramVersion.cabinet_id == cabinet.id
            )
        )
        or 0
    ) + 1
    products = {row.product_code: get_product(session, row.product_code) for row in rows}
    session.execute(
        update(PlanogramVersion)
        .where(PlanogramVersion.cabinet_id == cabinet.id, PlanogramVersion.is_active)
        .values(is_active=False)
    )
    version = PlanogramVersion(
        cabinet_id=cabinet.id,
        version=number,
        is_active=True,
        note=note,
        created_by=actor.username,
        effective_date=effective_date,
        slots=[
            PlanogramSlot(
                slot=row.slot,
                selection=row.selection,
                product_id=products[row.product_code].id,
                capacity=row.capacity,
                par_level=row.par_level,
                price_cents=row.price_cents,
            )
            for row in rows
        ],
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "new_version",
        "planogram",
        f"cabinet {cabinet.id} v{number}",
        before=None
        if previous is None
        else {"version": previous.version, "slots": _dump(previous)},
        after={
            "version": number,
            "note": note,
            "effective_date": None if effective_date is None else effective_date.isoformat(),
            "slots": [vars(row) for row in rows],
        },
    )
    return version


def _dump(version: PlanogramVersion) -> list[dict[str, object]]:
    return [vars(row) for row in slot_rows(version)]


def new_planogram_version(
    db: DbTarget, actor: Actor, cabinet_id: int, slots: Sequence[SlotSpec], *, note: object = ""
) -> PlanogramVersion:
    """Make ``slots`` the cabinet's active planogram as a new version (the ``accept`` path).

    Every slot is validated first (grid position, unique slot and selection, par ≤ capacity,
    known product); nothing is written unless all are valid.
    """
    require(actor, Action.EDIT_PLANOGRAM)
    note_text = check.name("note", note, max_length=1000, required=False)
    with transaction(db) as session:
        cabinet = live(session, Cabinet, "cabinet", id=cabinet_id)
        return write_version(session, actor, cabinet, _validate_all(slots, cabinet), note_text)


def get_active_planogram(db: DbTarget, actor: Actor, cabinet_id: int) -> list[SlotRow]:
    """The cabinet's active slots (empty when it has no planogram yet)."""
    require(actor, Action.READ_PLANOGRAM)
    with transaction(db) as session:
        live(session, Cabinet, "cabinet", id=cabinet_id)
        return slot_rows(active_version(session, cabinet_id))


def planogram_history(db: DbTarget, actor: Actor, cabinet_id: int) -> list[PlanogramVersion]:
    """Every version of the cabinet, oldest first (who created it, when, with which note)."""
    require(actor, Action.READ_PLANOGRAM)
    query = (
        select(PlanogramVersion)
        .where(PlanogramVersion.cabinet_id == cabinet_id)
        .order_by(PlanogramVersion.version)
    )
    with transaction(db) as session:
        return list(session.scalars(query))
