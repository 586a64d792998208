"""Audit retention: the oldest audit rows may be archived and removed, only through an anchor.

- ``audit_anchors`` (append-only: triggers refuse UPDATE and DELETE) records, for each removal,
  the id of the first row kept, the hash of the last row removed (the chain's new start), the
  archive file the removed rows were written to and its SHA-256.
- The audit log's DELETE trigger now lets a row go only when its id is below the newest anchor's
  ``first_kept_id``: a removal must first record an anchor (and the service that does it audits
  itself, see ``operations.retention``). UPDATE and TRUNCATE stay refused.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "DROP TRIGGER audit_log_no_delete",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN OLD.id >= COALESCE((SELECT max(first_kept_id) FROM audit_anchors), 0)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused (no anchor above it)');
    END""",
    """CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
    BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
    BEGIN SELECT RAISE(ABORT, 'audit_anchors is append-only: DELETE refused'); END""",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS audit_anchors_no_update",
    "DROP TRIGGER IF EXISTS audit_anchors_no_delete",
    "DROP TRIGGER audit_log_no_delete",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
)
POSTGRESQL_UP = (
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.id < (
            SELECT COALESCE(max(first_kept_id), 0) FROM audit_anchors
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END $$""",
    """CREATE FUNCTION audit_anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_anchors is append-only: % refused', TG_OP;
    END $$""",
    """CREATE TRIGGER audit_anchors_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_anchors_append_only()""",
    """CREATE TRIGGER audit_anchors_no_truncate BEFORE TRUNCATE ON audit_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION audit_anchors_append_only()""",
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS audit_anchors_no_update_or_delete ON audit_anchors",
    "DROP TRIGGER IF EXISTS audit_anchors_no_truncate ON audit_anchors",
    "DROP FUNCTION IF EXISTS audit_anchors_append_only()",
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END $$""",
)


def upgrade() -> None:
    """Create ``audit_anchors`` and let the log's DELETE trigger defer to it."""
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("first_kept_id", sa.Integer(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("archive", sa.String(length=500), nullable=False),
        sa.Column("archive_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_UP if postgresql else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Restore the refuse-every-DELETE trigger and drop ``audit_anchors``."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DOWN if postgresql else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("audit_anchors")
