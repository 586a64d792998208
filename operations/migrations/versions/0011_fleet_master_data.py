"""Fleet master data from the dashboards: product barcode, image URL and row version; scheduled
price changes; a route's service weekdays.

``products.row_version`` is the version check of concurrent edits (SQLAlchemy's
``version_id_col``): every update says which version it read, and a save against a newer one is
refused instead of overwriting it. ``product_price_changes`` keeps every price change with the
day it takes effect; a change whose day has come is applied to the product (``applied_at``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the product and route columns and ``product_price_changes``."""
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("barcode", sa.String(length=14), nullable=True))
        batch.add_column(sa.Column("image_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("row_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("routes") as batch:
        batch.add_column(sa.Column("service_days", sa.String(length=7), nullable=True))
    op.create_table(
        "product_price_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("old_price_cents", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "price_cents >= 0", name=op.f("ck_product_price_changes_price_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_price_changes_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_price_changes")),
    )
    op.create_index(
        op.f("ix_product_price_changes_product_id"),
        "product_price_changes",
        ["product_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index(op.f("ix_product_price_changes_product_id"), table_name="product_price_changes")
    op.drop_table("product_price_changes")
    # Plain ALTER TABLE DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch would copy and drop
    # `routes` and `products`, which devices and planogram slots reference, and SQLite's
    # foreign keys (on for every connection) refuse dropping a referenced table.
    op.drop_column("routes", "service_days")
    op.drop_column("products", "row_version")
    op.drop_column("products", "image_url")
    op.drop_column("products", "barcode")
