"""Saved planogram templates: a named set of slots for one cabinet type, applied in the editor.

A template holds what a planogram holds (slot, selection, product, capacity, par level, price);
saving one under an existing name replaces it (audited with before and after). Applying a
template only fills the editor: the save that follows is checked like any edit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import ValidationError
from operations.permissions import Action, Actor, require
from operations.schema import PlanogramTemplate, utcnow
from operations.services.masterdata import get_product
from operations.services.planograms import MAX_CAPACITY, SlotRow, SlotSpec

MAX_NAME = 100


@dataclass(frozen=True)
class Template:
    """A saved template: its name, cabinet type, slots and who saved it last."""

    name: str
    cabinet_type: str
    slots: list[SlotRow]
    updated_by: str


def _row(spec: SlotSpec) -> SlotRow:
    """One template slot, checked as a planogram slot is (without a cabinet's grid)."""
    slot = check.code("slot", spec.slot, max_length=8)
    capacity = check.integer(
        f"slot {slot} capacity", spec.capacity, minimum=1, maximum=MAX_CAPACITY
    )
    par = check.integer(f"slot {slot} par_level", spec.par_level, minimum=0, maximum=MAX_CAPACITY)
    if par > capacity:
        raise ValidationError(f"slot {slot} par_level", par, f"exceeds capacity {capacity}")
    return SlotRow(
        slot=slot,
        selection=check.code(f"slot {slot} selection", spec.selection, max_length=32),
        product_code=check.code(f"slot {slot} product_id", spec.product_code),
        capacity=capacity,
        par_level=par,
        price_cents=check.money_cents(f"slot {slot} price", spec.price),
    )


def save_template(
    db: DbTarget, actor: Actor, *, name: object, cabinet_type: object, slots: Sequence[SlotSpec]
) -> Template:
    """Save (or replace) template ``name`` for ``cabinet_type``; every product must exist."""
    require(actor, Action.EDIT_PLANOGRAM)
    title = check.name("template name", name, max_length=MAX_NAME)
    kind = check.name("cabinet_type", cabinet_type, max_length=64)
    if not slots:
        raise ValidationError("slots", [], "a template needs at least one slot")
    rows = [_row(spec) for spec in slots]
    for field in ("slot", "selection"):
        seen: set[str] = set()
        for row in rows:
            if getattr(row, field) in seen:
                raise ValidationError(field, getattr(row, field), "appears twice in the template")
            seen.add(getattr(row, field))
    payload = json.dumps([vars(row) for row in rows])
    with transaction(db) as session:
        for row in rows:
            get_product(session, row.product_code)
        found = session.scalars(
            select(PlanogramTemplate).where(PlanogramTemplate.name == title)
        ).one_or_none()
        before = None if found is None else audit.snapshot(found)
        if found is None:
            found = PlanogramTemplate(name=title, created_by=actor.username)
            session.add(found)
        found.cabinet_type = kind
        found.slots = payload
        found.updated_by = actor.username
        found.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "create" if before is None else "update",
            "planogram_template",
            title,
            before=before,
            after=audit.snapshot(found),
        )
        return _template(found)


def _template(row: PlanogramTemplate) -> Template:
    slots = [SlotRow(**item) for item in json.loads(row.slots)]
    return Template(row.name, row.cabinet_type, slots, row.updated_by)


def list_templates(
    db: DbTarget, actor: Actor, *, cabinet_type: str | None = None
) -> list[Template]:
    """Saved templates by name, optionally only those of one cabinet type."""
    require(actor, Action.READ_PLANOGRAM)
    query = select(PlanogramTemplate).order_by(PlanogramTemplate.name)
    if cabinet_type is not None:
        query = query.where(PlanogramTemplate.cabinet_type == cabinet_type)
    with reading(db) as session:
        return [_template(row) for row in session.scalars(query)]
