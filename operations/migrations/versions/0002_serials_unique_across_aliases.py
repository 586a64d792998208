"""DEX serials unique across devices and their aliases, in the schema.

``devices.dex_serial`` and ``device_aliases.dex_serial`` are each UNIQUE, but a UNIQUE constraint
cannot span two tables; these triggers refuse a device serial that is some device's alias and an
alias that is some device's serial (soft-deleted devices included, like the UNIQUE constraints).
On PostgreSQL the check takes a transaction-scoped advisory lock on the serial, so two concurrent
writers of the same serial into the two tables cannot both pass.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, table, event, the other table whose serials the new one must not match)
_SQLITE_CHECKS = (
    ("devices_serial_not_an_alias_insert", "devices", "INSERT", "device_aliases"),
    ("devices_serial_not_an_alias_update", "devices", "UPDATE OF dex_serial", "device_aliases"),
    ("device_aliases_serial_not_a_device_insert", "device_aliases", "INSERT", "devices"),
    (
        "device_aliases_serial_not_a_device_update",
        "device_aliases",
        "UPDATE OF dex_serial",
        "devices",
    ),
)
SQLITE_TRIGGERS = tuple(
    f"""CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW
    WHEN NEW.dex_serial IS NOT NULL
        AND EXISTS (SELECT 1 FROM {other} WHERE {other}.dex_serial = NEW.dex_serial)
    BEGIN SELECT RAISE(ABORT, 'dex_serial is already used in {other}'); END"""  # noqa: S608 - constant names
    for name, table, event, other in _SQLITE_CHECKS
)
POSTGRESQL_STATEMENTS = (
    """CREATE FUNCTION dex_serial_unique_across() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.dex_serial IS NULL THEN
            RETURN NEW;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('dex_serial:' || NEW.dex_serial));
        IF TG_TABLE_NAME = 'devices' AND EXISTS (
            SELECT 1 FROM device_aliases WHERE dex_serial = NEW.dex_serial
        ) THEN
            RAISE EXCEPTION 'dex_serial % is already used in device_aliases', NEW.dex_serial
                USING ERRCODE = 'unique_violation';
        END IF;
        IF TG_TABLE_NAME = 'device_aliases' AND EXISTS (
            SELECT 1 FROM devices WHERE dex_serial = NEW.dex_serial
        ) THEN
            RAISE EXCEPTION 'dex_serial % is already used in devices', NEW.dex_serial
                USING ERRCODE = 'unique_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER devices_serial_unique_across
    BEFORE INSERT OR UPDATE OF dex_serial ON devices
    FOR EACH ROW EXECUTE FUNCTION dex_serial_unique_across()""",
    """CREATE TRIGGER device_aliases_serial_unique_across
    BEFORE INSERT OR UPDATE OF dex_serial ON device_aliases
    FOR EACH ROW EXECUTE FUNCTION dex_serial_unique_across()""",
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    """Install the cross-table serial checks."""
    for statement in POSTGRESQL_STATEMENTS if _postgresql() else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Remove them."""
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS devices_serial_unique_across ON devices")
        op.execute("DROP TRIGGER IF EXISTS device_aliases_serial_unique_across ON device_aliases")
        op.execute("DROP FUNCTION IF EXISTS dex_serial_unique_across()")
        return
    for name, _, _, _ in _SQLITE_CHECKS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
