"""PostgreSQL's trigger refusals raise integrity errors, as SQLite's do.

SQLite reports a trigger's ``RAISE(ABORT, …)`` as a constraint failure (``IntegrityError``).
The PostgreSQL functions of migrations 0001 and 0007 raised a plain ``RAISE EXCEPTION``
(SQLSTATE P0001), which drivers report as a programming error, so the same refused write
surfaced as a different error class on each database. They now raise with an SQLSTATE of class
23 (integrity constraint violation): ``check_violation`` for an illegal service-order status
change or an order not born a draft, ``restrict_violation`` for a change to the append-only
audit log or its anchors. The refusals themselves are unchanged. Nothing changes on SQLite.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the functions of migrations 0001 and 0007, the refusals' SQLSTATE in place of ``$USING``
ORDER_FUNCTION = """CREATE OR REPLACE FUNCTION service_orders_valid_transition() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' AND NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'service orders start as draft'$USING;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.status <> OLD.status
            AND (OLD.status || '>' || NEW.status) NOT IN (
                'draft>scheduled', 'draft>cancelled', 'scheduled>in_progress',
                'scheduled>cancelled', 'in_progress>completed', 'in_progress>cancelled'
            ) THEN
            RAISE EXCEPTION 'illegal service order transition % -> %',
                OLD.status, NEW.status$USING;
        END IF;
        RETURN NEW;
    END $$"""
AUDIT_LOG_FUNCTION = """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.id < (
            SELECT COALESCE(max(first_kept_id), 0) FROM audit_anchors
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP$USING;
    END $$"""
AUDIT_ANCHORS_FUNCTION = """CREATE OR REPLACE FUNCTION audit_anchors_append_only()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_anchors is append-only: % refused', TG_OP$USING;
    END $$"""


def _replace(order_errcode: str | None, audit_errcode: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function, errcode in (
        (ORDER_FUNCTION, order_errcode),
        (AUDIT_LOG_FUNCTION, audit_errcode),
        (AUDIT_ANCHORS_FUNCTION, audit_errcode),
    ):
        op.execute(function.replace("$USING", f" USING ERRCODE = '{errcode}'" if errcode else ""))


def upgrade() -> None:
    """Raise the refusals as integrity violations on PostgreSQL."""
    _replace("check_violation", "restrict_violation")


def downgrade() -> None:
    """Raise them as plain exceptions again (SQLSTATE P0001)."""
    _replace(None, None)
