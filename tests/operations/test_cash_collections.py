"""Cash collections in the operational database: the driver's count on their order, a manager's
reconciliation, the CSV import with its row-level report; every write audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_world import World
from sqlalchemy import text

from operations.cash_import import import_collections
from operations.errors import PermissionDenied, ValidationError
from operations.permissions import SYSTEM
from operations.services import cash_collections as cash
from operations.services.cash_collections import counted


def _audit(world: World, action: str) -> list[tuple[object, ...]]:
    with world.engine.connect() as c:
        return list(
            c.execute(
                text("SELECT actor, entity_key FROM audit_log WHERE entity = 'cash_collection' "
                     "AND action = :a ORDER BY id"), {"a": action}
            )
        )  # fmt: skip


def test_driver_counts_the_box_on_their_order_and_it_is_audited(world: World) -> None:
    done = cash.record_count(
        world.engine, world.actors["dave"], order_id=world.orders["in_progress"], machine="A1",
        count=counted("41.00", "13.40", "B000123"),
    )  # fmt: skip
    assert (done.counted_bills_cents, done.counted_coins_cents, done.counted_cents) == (
        4100, 1340, 5440,
    )  # fmt: skip
    assert (done.bag, done.driver, done.route_code, done.source) == ("B000123", "dave", "R1",
                                                                      "driver")  # fmt: skip
    assert _audit(world, "record") == [("dave", str(done.id))]
    exported = cash.export_collections(world.engine)
    assert [(r["machine_serial"], r["counted_cents"]) for r in exported] == [("S-A1", 5440)]


def test_a_driver_cannot_count_on_another_drivers_order_or_off_route(world: World) -> None:
    with pytest.raises(PermissionDenied):
        cash.record_count(world.engine, world.actors["dave"],
                          order_id=world.orders["erin_in_progress"], machine="A2",
                          count=counted("1", "0", None))  # fmt: skip
    with pytest.raises(ValidationError, match="not on the route"):
        cash.record_count(world.engine, world.actors["dave"], order_id=world.orders["in_progress"],
                          machine="A2", count=counted("1", "0", None))  # fmt: skip
    with pytest.raises(ValidationError, match="coins"):
        counted("1.00", "-2", None)
    assert _audit(world, "record") == []


def test_manager_reconciles_accept_investigate_adjust(world: World) -> None:
    c = cash.record_count(world.engine, world.actors["dave"], order_id=world.orders["in_progress"],
                          machine="S-A1", count=counted("20", "5", "B1"))  # fmt: skip
    manager = world.actors["max"]
    with pytest.raises(ValidationError, match="note is required"):
        cash.reconcile(world.engine, manager, c.id, decision="investigate")
    with pytest.raises(PermissionDenied):
        cash.reconcile(world.engine, world.actors["dave"], c.id, decision="accept")
    looked = cash.reconcile(world.engine, manager, c.id, decision="investigate", note="recount")
    assert (looked.reconcile_state, looked.reconcile_note) == ("investigating", "recount")
    fixed = cash.reconcile(world.engine, manager, c.id, decision="adjust",
                           note="coin bag found", adjusted_total="30.00")  # fmt: skip
    assert (fixed.reconcile_state, fixed.adjusted_cents, fixed.reconciled_by) == (
        "adjusted", 3000, "max",
    )  # fmt: skip
    assert [a for a, _ in _audit(world, "investigate") + _audit(world, "adjust")] == ["max"] * 2


def test_import_reports_every_row_and_a_second_import_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "history.csv"
    path.write_text(
        "serial,asset_number,collected_at,bills,coins,counted,bag,driver\n"
        "S-A1,,2024-01-05 10:00:00,40.00,12.50,52.50,B1,dave\n"  # 2: created
        ",A2,2024-01-05T11:00:00,,,88.10,B2,erin\n"  # 3: created, total only
        "S-ZZ,,2024-01-06 10:00:00,1,1,,B3,dave\n"  # 4: no such machine
        "S-A1,,yesterday,1,1,,B4,dave\n"  # 5: bad time
        "S-A1,,2024-01-07 10:00:00,1.00,2.00,4.00,B5,dave\n"  # 6: total is not the sum
        "S-A3,,2024-01-07 10:00:00,,,,B6,dave\n"  # 7: created, not counted yet
        "S-A1,,2024-01-08 10:00:00,1.005,0,,B7,dave\n",  # 8: three decimals
        encoding="utf-8",
    )
    report = import_collections(world.engine, path, actor=SYSTEM)
    outcomes = [(r.line, r.outcome, r.field) for r in report.rows]
    assert outcomes == [
        (2, "created", ""), (3, "created", ""), (4, "rejected", "serial"),
        (5, "rejected", "collected_at"), (6, "rejected", "counted"), (7, "created", ""),
        (8, "rejected", "bills"),
    ]  # fmt: skip
    totals = sorted((r["machine_serial"], r["counted_cents"])
                    for r in cash.export_collections(world.engine))  # fmt: skip
    assert totals == [("S-A1", 5250), ("S-A2", 8810), ("S-A3", None)]
    again = import_collections(world.engine, path, actor=SYSTEM)
    assert [r.outcome for r in again.rows if r.outcome != "rejected"] == ["unchanged"] * 3
    assert len(_audit(world, "import")) == 3
