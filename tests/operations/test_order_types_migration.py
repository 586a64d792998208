"""Migration 0006 on SQLite and PostgreSQL: existing orders become normal restocks,
the transition triggers survive, bad types are refused, and it downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from operations import db

BEFORE = "0005"


def _one_order_before(url: str) -> int:
    """An order written at the revision before 0006 (no type column yet), by raw SQL."""
    db.upgrade(url, BEFORE)
    engine = db.connect(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO routes (code, name, created_at, updated_at)"
                " VALUES ('R1', 'North', '2026-01-01', '2026-01-01')"
            )
        )
        route = connection.execute(text("SELECT id FROM routes")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO service_orders (route_id, planned_date, status, note, created_at,"
                " created_by) VALUES (:r, '2026-12-01', 'draft', '', '2026-12-01', 'x')"
            ),
            {"r": route},
        )
        order = connection.execute(text("SELECT id FROM service_orders")).scalar_one()
    engine.dispose()
    return int(order)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cvd.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


def test_existing_orders_become_normal_restocks_and_rules_hold(url: str) -> None:
    order = _one_order_before(url)
    db.upgrade(url)
    engine = db.connect(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT order_type, priority FROM service_orders WHERE id = :i"), {"i": order}
            ).one()
        assert tuple(row) == ("restock", "normal")
        with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as connection:
            connection.execute(text("UPDATE service_orders SET order_type = 'party'"))
        with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as connection:
            connection.execute(text("UPDATE service_orders SET priority = 'whenever'"))
        # the transition trigger of migration 0001 is still there: draft cannot jump to completed
        with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE service_orders SET status = 'completed', scheduled_at = created_at,"
                    " started_at = created_at, completed_at = created_at"
                )
            )
    finally:
        engine.dispose()
    command.downgrade(db._alembic_config(url), BEFORE)
    engine = db.connect(url)
    try:
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM service_orders")).keys()
        assert "order_type" not in columns and "priority" not in columns
    finally:
        engine.dispose()
    db.upgrade(url)
