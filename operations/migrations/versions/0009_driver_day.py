"""The driver's day: access notes per location, a cabinet's entries kept as they are made,
before/after photos per order and cabinet.

- ``locations.access_notes`` (text, '' by default).
- ``order_cabinet_entries``: one row per order cabinet with delivered quantities (JSON), note,
  exception (CHECK over the known kinds), the follow-up order it opened, done flag.
- ``order_photos``: content-addressed photo files (sha256 + type) linked to order, cabinet and
  kind (before/after).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXCEPTION_KINDS = "'broken', 'no_access', 'damaged_stock', 'expired_stock', 'coin_jammed'"


def upgrade() -> None:
    """Add the column and the two tables."""
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("access_notes", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "order_cabinet_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_cabinet_id", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("exception_kind", sa.String(length=16), nullable=True),
        sa.Column("exception_note", sa.Text(), nullable=False),
        sa.Column("follow_up_order_id", sa.Integer(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            f"exception_kind IS NULL OR exception_kind IN ({EXCEPTION_KINDS})",
            name=op.f("ck_order_cabinet_entries_valid_exception"),
        ),
        sa.ForeignKeyConstraint(
            ["order_cabinet_id"],
            ["service_order_cabinets.id"],
            name=op.f("fk_order_cabinet_entries_order_cabinet_id_service_order_cabinets"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_order_id"],
            ["service_orders.id"],
            name=op.f("fk_order_cabinet_entries_follow_up_order_id_service_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_cabinet_entries")),
        sa.UniqueConstraint(
            "order_cabinet_id", name=op.f("uq_order_cabinet_entries_order_cabinet_id")
        ),
    )
    op.create_table(
        "order_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_type", sa.String(length=8), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('before', 'after')", name=op.f("ck_order_photos_valid_kind")),
        sa.CheckConstraint(
            "file_type IN ('jpg', 'png', 'webp', 'heic')",
            name=op.f("ck_order_photos_valid_file_type"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_order_photos_size_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_orders.id"],
            name=op.f("fk_order_photos_order_id_service_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["cabinet_id"], ["cabinets.id"], name=op.f("fk_order_photos_cabinet_id_cabinets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_photos")),
    )
    op.create_index(
        "ix_order_photos_order_id_cabinet_id", "order_photos", ["order_id", "cabinet_id"]
    )


def downgrade() -> None:
    """Drop the tables and the column."""
    op.drop_index("ix_order_photos_order_id_cabinet_id", table_name="order_photos")
    op.drop_table("order_photos")
    op.drop_table("order_cabinet_entries")
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("access_notes")
