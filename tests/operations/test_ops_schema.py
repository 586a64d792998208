"""Migrations from empty to head, and the rules the schema holds by itself (raw SQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from ops_world import World, table_contents
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from operations import db
from operations.errors import SchemaOutdated
from operations.schema import Base
from tests.pg import sqlite_only

TABLES = {
    "alembic_version",
    "alert_outbox",
    "alert_subscriptions",
    "alerts",
    "api_tokens",
    "asked_questions",
    "audit_anchors",
    "audit_log",
    "cabinets",
    "cash_collections",
    "device_aliases",
    "devices",
    "locations",
    "order_cabinet_entries",
    "order_photos",
    "planogram_slots",
    "planogram_templates",
    "planogram_versions",
    "product_price_changes",
    "products",
    "recommendation_decisions",
    "routes",
    "service_order_cabinets",
    "service_order_items",
    "service_orders",
    "sign_in_throttle",
    "user_sessions",
    "users",
}


def test_upgrade_from_empty_to_head_and_back(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'folder' / 'cvd.sqlite'}"  # folders made on connect
    if database_backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    engine = db.connect(url)
    with pytest.raises(SchemaOutdated, match="cvd db upgrade"):
        db.require_current(engine)
    db.upgrade(url)
    assert set(inspect(engine).get_table_names()) == TABLES
    assert db.current_revision(engine) == db.head_revision() == "0016"
    db.require_current(engine)
    db.upgrade(url)  # a second upgrade is a no-op
    with engine.connect() as connection:
        # the models and the migrations describe the same schema
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        if database_backend == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()

    downgrade = db._alembic_config(url)
    command.downgrade(downgrade, "base")
    engine = db.connect(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    db.upgrade(url)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(world: World) -> None:
    with world.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


VIOLATIONS = {
    "par above capacity": "UPDATE planogram_slots SET par_level = capacity + 1",
    "unknown role": "UPDATE users SET role = 'root' WHERE username = 'vic'",
    "duplicate serial": "UPDATE devices SET dex_serial = 'S-A1' WHERE asset_number = 'A2'",
    "duplicate asset number": "UPDATE devices SET asset_number = 'A1' WHERE asset_number = 'A2'",
    "dangling product": "UPDATE planogram_slots SET product_id = 999",
    "two active versions": (
        "INSERT INTO planogram_versions (cabinet_id, version, is_active, note, created_at,"
        " created_by) SELECT cabinet_id, 99, true, '', created_at, 'x' FROM planogram_versions"
    ),
    "negative price": "UPDATE products SET price_cents = -1",
    "latitude off the globe": "UPDATE locations SET latitude = 91",
    "completed back to draft": (
        "UPDATE service_orders SET status = 'draft', scheduled_at = NULL, started_at = NULL"
        " WHERE id = 3"
    ),
    "draft straight to completed": (
        "UPDATE service_orders SET status = 'completed', scheduled_at = created_at,"
        " started_at = created_at, completed_at = created_at WHERE id = 1"
    ),
    "status without its step time": "UPDATE service_orders SET status = 'scheduled' WHERE id = 1",
    "order born completed": (
        "INSERT INTO service_orders (route_id, planned_date, status, note, created_at,"
        " created_by, scheduled_at, started_at, completed_at) SELECT route_id, planned_date,"
        " 'completed', '', created_at, 'x', created_at, created_at, created_at"
        " FROM service_orders WHERE id = 1"
    ),
}


@pytest.mark.parametrize("statement", VIOLATIONS.values(), ids=list(VIOLATIONS))
def test_schema_refuses_bad_rows_written_around_the_services(
    statement: str, world: World, unchanged: None
) -> None:
    """On both databases, a refused row is an integrity error (PostgreSQL's triggers raise
    SQLSTATE class 23 since migration 0015, as SQLite's RAISE(ABORT) is a constraint error)."""
    with pytest.raises(IntegrityError), world.engine.begin() as connection:
        connection.exec_driver_sql(statement)


def test_schema_accepts_a_legal_transition(world: World) -> None:
    with world.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE service_orders SET status = 'scheduled', scheduled_at = created_at WHERE id = 1"
        )
        assert (
            connection.exec_driver_sql("SELECT status FROM service_orders WHERE id = 1").scalar()
            == "scheduled"
        )


SERIAL_CLASHES = {
    "alias equal to a device serial": (
        "INSERT INTO device_aliases (device_id, dex_serial, created_at)"
        " SELECT id, 'S-A1', created_at FROM devices WHERE asset_number = 'A2'"
    ),
    "alias renamed to a device serial": (
        "UPDATE device_aliases SET dex_serial = 'S-A1' WHERE dex_serial = 'OLD-A2'"
    ),
    "device serial changed to an alias": (
        "UPDATE devices SET dex_serial = 'OLD-A2' WHERE asset_number = 'A1'"
    ),
    "new device with an alias as serial": (
        "INSERT INTO devices (dex_serial, telemetry, created_at, updated_at)"
        " SELECT 'OLD-A2', false, created_at, created_at FROM device_aliases"
    ),
}


@pytest.mark.parametrize("statement", SERIAL_CLASHES.values(), ids=list(SERIAL_CLASHES))
def test_schema_keeps_serials_unique_across_devices_and_aliases(
    statement: str, world: World
) -> None:
    with world.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO device_aliases (device_id, dex_serial, created_at)"
            " SELECT id, 'OLD-A2', created_at FROM devices WHERE asset_number = 'A2'"
        )
    before = table_contents(world.engine)
    with pytest.raises(IntegrityError, match="dex_serial"), world.engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert table_contents(world.engine) == before
    with world.engine.begin() as connection:  # an unrelated serial change is still fine
        connection.exec_driver_sql(
            "UPDATE devices SET dex_serial = 'S-A1b' WHERE dex_serial = 'S-A1'"
        )
