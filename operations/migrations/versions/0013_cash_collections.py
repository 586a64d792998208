"""Cash collections: what the driver counted per machine and collection, and its reconciliation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``cash_collections``."""
    op.create_table(
        "cash_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("route_code", sa.String(length=64), nullable=True),
        sa.Column("driver", sa.String(length=64), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("counted_bills_cents", sa.Integer(), nullable=True),
        sa.Column("counted_coins_cents", sa.Integer(), nullable=True),
        sa.Column("counted_cents", sa.Integer(), nullable=True),
        sa.Column("bag", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reconcile_state", sa.String(length=16), nullable=False),
        sa.Column("reconcile_note", sa.Text(), nullable=False),
        sa.Column("adjusted_cents", sa.Integer(), nullable=True),
        sa.Column("reconciled_by", sa.String(length=64), nullable=True),
        sa.Column("reconciled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "source IN ('driver', 'import')", name=op.f("ck_cash_collections_valid_source")
        ),
        sa.CheckConstraint(
            "reconcile_state IN ('pending', 'accepted', 'investigating', 'adjusted')",
            name=op.f("ck_cash_collections_valid_reconcile_state"),
        ),
        sa.CheckConstraint(
            "(counted_bills_cents IS NULL OR counted_bills_cents >= 0)"
            " AND (counted_coins_cents IS NULL OR counted_coins_cents >= 0)"
            " AND (counted_cents IS NULL OR counted_cents >= 0)"
            " AND (adjusted_cents IS NULL OR adjusted_cents >= 0)",
            name=op.f("ck_cash_collections_amounts_not_negative"),
        ),
        sa.CheckConstraint(
            "(reconcile_state = 'adjusted') = (adjusted_cents IS NOT NULL)",
            name=op.f("ck_cash_collections_adjusted_has_amount"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_cash_collections_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_orders.id"],
            name=op.f("fk_cash_collections_order_id_service_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_collections")),
        sa.UniqueConstraint(
            "device_id", "collected_at", name=op.f("uq_cash_collections_device_id_collected_at")
        ),
    )
    for column in ("device_id", "order_id", "route_code"):
        op.create_index(
            op.f(f"ix_cash_collections_{column}"), "cash_collections", [column], unique=False
        )


def downgrade() -> None:
    """Drop ``cash_collections``."""
    for column in ("route_code", "order_id", "device_id"):
        op.drop_index(op.f(f"ix_cash_collections_{column}"), table_name="cash_collections")
    op.drop_table("cash_collections")
