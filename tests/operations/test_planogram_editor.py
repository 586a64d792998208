"""The planogram editor's service: checks naming slot and field, the version check, the dated
version with its changeover order, templates; on SQLite and on a real PostgreSQL.

The seeded world (``ops_world``): cabinet A1 (5×8, route R1, driver dave) holds v1 with
A1 → P1 Cola (size M) cap 8 par 6 1.50 and A2 → P2 Chips (size S) cap 10 par 5 1.00.
Row A's largest product is M, so an L product does not fit row A; row B holds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from at_once import run_at_once
from ops_world import active_slots, cabinet_ids, seed, table_contents
from sqlalchemy import Engine, select, text

from operations.errors import Conflict, PermissionDenied, ValidationError
from operations.permissions import SYSTEM, Actor
from operations.schema import AuditEntry, PlanogramVersion, ServiceOrder, utcnow
from operations.services import masterdata, planogram_editor, planogram_templates
from operations.services.planograms import SlotSpec

MAX = Actor(username="max", role="manager")
CHANGED = "changed since you opened it"
TOMORROW = (utcnow().date() + timedelta(days=1)).isoformat()
CURRENT = [
    SlotSpec("A1", "10", "P1", 8, 6, "1.50"),
    SlotSpec("A2", "11", "P2", 10, 5, "1.00"),
]


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    cabinet: int


@pytest.fixture
def seeded(migrated: Engine) -> Iterator[Seeded]:
    """The ops world on SQLite or PostgreSQL, with a large product P3 (size L)."""
    seed(migrated)
    masterdata.save_product(
        migrated, SYSTEM, code="P3", name="Big Bottle", category="Drinks", price="2.50",
        cost="1.00", size="L",
    )  # fmt: skip
    yield Seeded(migrated, cabinet_ids(migrated)["A1"])


def _edit(*changed: SlotSpec) -> list[SlotSpec]:
    by_slot = {str(s.slot): s for s in CURRENT}
    for spec in changed:
        by_slot[str(spec.slot)] = spec
    return list(by_slot.values())


def test_a_save_makes_a_dated_version_and_its_changeover_order(seeded: Seeded) -> None:
    slots = _edit(
        SlotSpec("A2", "11", "P1", 10, 7, "1.60"), SlotSpec("B1", "20", "P3", 6, 3, "2.50")
    )
    saved = planogram_editor.save_edit(
        seeded.engine, MAX, seeded.cabinet, slots, opened_version=1, effective_date=TOMORROW,
        changeover=True, note="summer drinks",
    )  # fmt: skip
    assert saved.version.version == 2
    assert saved.version.effective_date == date.fromisoformat(TOMORROW)
    assert active_slots(seeded.engine, seeded.cabinet) == {
        "A1": ("P1", 8, 6, 150),
        "A2": ("P1", 10, 7, 160),
        "B1": ("P3", 6, 3, 250),
    }
    assert [(c.slot, c.kind, c.fields) for c in saved.changes] == [
        ("A2", "changed", ("product_code", "par_level", "price_cents")),
        ("B1", "added", ("selection", "product_code", "capacity", "par_level", "price_cents")),
    ]
    assert saved.order is not None
    order_id = saved.order.id
    with seeded.engine.connect() as connection:
        order = connection.execute(
            select(
                ServiceOrder.order_type, ServiceOrder.planned_date, ServiceOrder.driver_username
            ).where(ServiceOrder.id == order_id)
        ).one()
        items = connection.execute(
            text(
                "SELECT i.slot, p.code, i.quantity_planned FROM service_order_items i"
                " JOIN service_order_cabinets c ON c.id = i.order_cabinet_id"
                " JOIN products p ON p.id = i.product_id WHERE c.order_id = :o ORDER BY i.slot"
            ),
            {"o": order_id},
        ).all()
        audited = connection.execute(
            select(AuditEntry.after)
            .where(AuditEntry.entity == "planogram")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert tuple(order) == ("changeover", date.fromisoformat(TOMORROW), "dave")
    assert [tuple(i) for i in items] == [("A2", "P1", 7), ("B1", "P3", 3)]
    assert audited is not None and json.loads(str(audited[0]))["effective_date"] == TOMORROW


def test_without_changeover_no_order_is_made(seeded: Seeded) -> None:
    with seeded.engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM service_orders")).scalar()
    saved = planogram_editor.save_edit(
        seeded.engine, MAX, seeded.cabinet, _edit(SlotSpec("A1", "10", "P1", 8, 4, "1.50")),
        opened_version=1, effective_date=TOMORROW,
    )  # fmt: skip
    assert saved.order is None
    with seeded.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM service_orders")).scalar() == before


BAD_EDITS = {
    "par above capacity": (
        SlotSpec("A1", "10", "P1", 8, 9, "1.50"),
        "slot A1 par_level=9: exceeds capacity 8",
    ),
    "too large a product": (
        SlotSpec("A2", "11", "P3", 6, 3, "2.50"),
        "slot A2 product_id='P3': size L does not fit: row A takes products up to size M",
    ),
    "one selection twice": (
        SlotSpec("B2", "10", "P2", 6, 3, "1.00"),
        "slot B2 selection='10': is already used by slot A1",
    ),
    "unknown product": (
        SlotSpec("B3", "30", "NOPE", 6, 3, "1.00"),
        "slot B3 product_id='NOPE': no such product (or it is retired)",
    ),
    "outside the grid": (
        SlotSpec("F1", "40", "P2", 6, 3, "1.00"),
        "slot F1 slot='F1': outside the cabinet (A1 to E8)",
    ),
    "bad price": (
        SlotSpec("B4", "41", "P2", 6, 3, "-1"),
        "slot B4 price=",
    ),
}


@pytest.mark.parametrize("case", BAD_EDITS)
def test_an_impossible_slot_is_refused_naming_slot_and_field(seeded: Seeded, case: str) -> None:
    spec, message = BAD_EDITS[case]
    checked = planogram_editor.check_edit(seeded.engine, MAX, seeded.cabinet, _edit(spec))
    assert str(checked.errors[0]).startswith(message)
    before = table_contents(seeded.engine)
    with pytest.raises(ValidationError) as refused:
        planogram_editor.save_edit(
            seeded.engine, MAX, seeded.cabinet, _edit(spec), opened_version=1,
            effective_date=TOMORROW, changeover=True,
        )  # fmt: skip
    assert str(refused.value).startswith(message)
    assert table_contents(seeded.engine) == before


def test_check_lists_every_error_not_only_the_first(seeded: Seeded) -> None:
    slots = _edit(SlotSpec("A1", "10", "P1", 8, 9, "1.50"), SlotSpec("A2", "11", "P3", 6, 3, "2"))
    fields = [
        e.field
        for e in planogram_editor.check_edit(seeded.engine, MAX, seeded.cabinet, slots).errors
    ]
    assert fields == ["slot A1 par_level", "slot A2 product_id"]


def test_a_second_editor_on_a_changed_planogram_is_refused_and_nothing_is_written(
    seeded: Seeded,
) -> None:
    first = _edit(SlotSpec("A1", "10", "P1", 8, 4, "1.50"))
    planogram_editor.save_edit(
        seeded.engine, MAX, seeded.cabinet, first, opened_version=1, effective_date=TOMORROW
    )
    before = table_contents(seeded.engine)
    second = _edit(SlotSpec("A2", "11", "P2", 10, 2, "1.00"))
    with pytest.raises(Conflict, match="changed since you opened it"):
        planogram_editor.save_edit(
            seeded.engine, Actor("ann", "admin"), seeded.cabinet, second, opened_version=1,
            effective_date=TOMORROW, changeover=True,
        )  # fmt: skip
    assert table_contents(seeded.engine) == before


def test_a_past_effective_date_and_an_unchanged_planogram_are_refused(seeded: Seeded) -> None:
    before = table_contents(seeded.engine)
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match=r"^effective_date=.*is before today"):
        planogram_editor.save_edit(
            seeded.engine, MAX, seeded.cabinet, _edit(SlotSpec("A1", "10", "P1", 8, 4, "1.50")),
            opened_version=1, effective_date=yesterday,
        )  # fmt: skip
    with pytest.raises(ValidationError, match=r"^slots=2: nothing changed against version 1"):
        planogram_editor.save_edit(
            seeded.engine, MAX, seeded.cabinet, CURRENT, opened_version=1, effective_date=TOMORROW
        )
    assert table_contents(seeded.engine) == before


@pytest.mark.parametrize(("who", "role"), [("vic", "viewer"), ("dave", "driver")])
def test_viewers_and_drivers_may_not_edit_or_save_templates(
    seeded: Seeded, who: str, role: str
) -> None:
    actor = Actor(who, role)
    before = table_contents(seeded.engine)
    with pytest.raises(PermissionDenied, match=r"planogram\.edit"):
        planogram_editor.save_edit(
            seeded.engine, actor, seeded.cabinet, CURRENT, opened_version=1, effective_date=TOMORROW
        )
    with pytest.raises(PermissionDenied, match=r"planogram\.edit"):
        planogram_templates.save_template(
            seeded.engine, actor, name="t", cabinet_type="Ambient 5x8", slots=CURRENT
        )
    assert table_contents(seeded.engine) == before


def test_templates_are_saved_replaced_audited_and_listed_by_cabinet_type(seeded: Seeded) -> None:
    planogram_templates.save_template(
        seeded.engine, MAX, name="Snacks basic", cabinet_type="Ambient 5x8", slots=CURRENT
    )
    planogram_templates.save_template(
        seeded.engine, MAX, name="Snacks basic", cabinet_type="Ambient 5x8", slots=CURRENT[:1]
    )
    planogram_templates.save_template(
        seeded.engine, MAX, name="Cooler", cabinet_type="Cooler 6x6", slots=CURRENT[1:]
    )
    listed = planogram_templates.list_templates(
        seeded.engine, Actor("vic", "viewer"), cabinet_type="Ambient 5x8"
    )
    assert [
        (t.name, [(s.slot, s.product_code, s.price_cents) for s in t.slots]) for t in listed
    ] == [("Snacks basic", [("A1", "P1", 150)])]
    with seeded.engine.connect() as connection:
        actions = (
            connection.execute(
                text("SELECT action FROM audit_log WHERE entity = 'planogram_template' ORDER BY id")
            )
            .scalars()
            .all()
        )
    assert actions == ["create", "update", "create"]
    with pytest.raises(ValidationError, match=r"^slot A1 par_level=9: exceeds capacity 8"):
        planogram_templates.save_template(
            seeded.engine, MAX, name="x", cabinet_type="Ambient 5x8",
            slots=[SlotSpec("A1", "10", "P1", 8, 9, "1.50")],
        )  # fmt: skip


def test_of_four_editors_saving_at_once_exactly_one_wins(seeded: Seeded) -> None:
    """All four opened v1 and save different edits at the same moment: one v2, three refusals
    with "changed since you opened it", and v2 is whole (one editor's slots, not a mix)."""

    def save(number: int) -> None:
        edit = _edit(SlotSpec("A1", "10", "P1", 8, number + 1, "1.50"))
        planogram_editor.save_edit(
            seeded.engine, MAX, seeded.cabinet, edit, opened_version=1, effective_date=TOMORROW
        )

    raised = run_at_once(save, 4)
    assert len(raised) == 3
    assert all(isinstance(e, Conflict) and CHANGED in str(e) for e in raised), raised
    with seeded.engine.connect() as connection:
        versions = (
            connection.execute(
                select(PlanogramVersion.version).where(
                    PlanogramVersion.cabinet_id == seeded.cabinet
                )
            )
            .scalars()
            .all()
        )
    assert sorted(versions) == [1, 2]
    slots = active_slots(seeded.engine, seeded.cabinet)
    assert slots["A2"] == ("P2", 10, 5, 100) and slots["A1"][2] in {1, 2, 3, 4}
