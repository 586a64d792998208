"""Audit and sign-in hardening: an append-only, hash-chained audit log with address and user agent;
sign-in throttling per user name and address; when each session was last seen.

- ``audit_log`` gains ``address``, ``user_agent`` and ``row_hash`` (the SHA-256 chain, see
  ``operations.audit``); existing rows are chained here, in id order, then triggers refuse every
  UPDATE and DELETE (and TRUNCATE on PostgreSQL).
- ``sign_in_throttle`` counts failed sign-ins per (user name, address) and per address.
- ``user_sessions.last_seen_at``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from operations.audit import CHAINED_FIELDS, GENESIS_HASH, chain_hash

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
    END $$""",
    """CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)
# The chained content the rows had before this migration (no address or user agent yet).
AUDIT_CONTENT = tuple(name for name in CHAINED_FIELDS if name not in {"address", "user_agent"})


def _chain_existing_rows() -> None:
    """Give every existing audit row its ``row_hash``, oldest first (no trigger exists yet)."""
    bind = op.get_bind()
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("row_hash", sa.String()),
        sa.column("at", sa.DateTime()),  # typed, so SQLite's text reads back as a datetime
        *(sa.column(name) for name in AUDIT_CONTENT if name != "at"),
    )
    rows = bind.execute(
        sa.select(audit.c.id, *(audit.c[name] for name in AUDIT_CONTENT)).order_by(audit.c.id)
    ).all()
    previous = GENESIS_HASH
    for row in rows:
        content = dict(row._mapping) | {"address": None, "user_agent": None}
        previous = chain_hash(previous, content)
        bind.execute(sa.update(audit).where(audit.c.id == row.id).values(row_hash=previous))


def upgrade() -> None:
    """Add the columns and table, chain the existing audit rows, then make the log append-only."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    with op.batch_alter_table("user_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_in_throttle",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "scope IN ('pair', 'address')", name=op.f("ck_sign_in_throttle_valid_scope")
        ),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_sign_in_throttle_failures_non_negative")),
        sa.PrimaryKeyConstraint("scope", "username", "address", name=op.f("pk_sign_in_throttle")),
    )
    _chain_existing_rows()
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers, the table and the columns (the chain goes with ``row_hash``)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_or_delete ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("sign_in_throttle")
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("last_seen_at")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("user_agent")
        batch.drop_column("address")
