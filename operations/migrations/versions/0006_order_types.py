"""Service orders for any machine: type, priority, per-cabinet progress, corrections.

- ``service_orders`` gains ``order_type`` (restock, changeover, repair, cash_collection,
  removal; existing orders become ``restock``), ``priority`` (normal, urgent; existing:
  ``normal``), and ``corrected_at`` / ``corrected_by`` (a manager's last correction of a
  completed order; the audit log keeps each one with before and after).
- ``service_order_cabinets`` gains ``served_at`` / ``served_by`` (the cabinet is done).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Plain ALTER TABLE (no batch copy): recreating service_orders on SQLite would drop its
# transition triggers (migration 0001). Both SQLite and PostgreSQL take a column CHECK here.
ADD_COLUMNS = (
    "ALTER TABLE service_orders ADD COLUMN order_type VARCHAR(16) DEFAULT 'restock' NOT NULL"
    " CONSTRAINT ck_service_orders_valid_type"
    " CHECK (order_type IN ('restock', 'changeover', 'repair', 'cash_collection', 'removal'))",
    "ALTER TABLE service_orders ADD COLUMN priority VARCHAR(8) DEFAULT 'normal' NOT NULL"
    " CONSTRAINT ck_service_orders_valid_priority CHECK (priority IN ('normal', 'urgent'))",
)


def upgrade() -> None:
    """Add the columns (existing rows get the defaults) and their CHECK constraints."""
    for statement in ADD_COLUMNS:
        op.execute(statement)
    op.add_column("service_orders", sa.Column("corrected_at", sa.DateTime(), nullable=True))
    op.add_column("service_orders", sa.Column("corrected_by", sa.String(length=64), nullable=True))
    op.add_column("service_order_cabinets", sa.Column("served_at", sa.DateTime(), nullable=True))
    op.add_column(
        "service_order_cabinets", sa.Column("served_by", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    """Drop the columns (each CHECK goes with its column)."""
    op.drop_column("service_order_cabinets", "served_by")
    op.drop_column("service_order_cabinets", "served_at")
    for column in ("corrected_by", "corrected_at", "priority", "order_type"):
        op.drop_column("service_orders", column)
