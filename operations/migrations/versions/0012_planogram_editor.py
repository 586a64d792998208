"""The planogram editor: an effective date per planogram version, and saved slot templates.

- ``planogram_versions.effective_date`` (date, NULL for versions made before it existed or
  without one): the day the version is meant to be in the machine (its changeover day).
- ``planogram_templates``: a named set of slots (JSON) for one cabinet type, applied in the
  editor to any cabinet of that type.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column and the table."""
    with op.batch_alter_table("planogram_versions") as batch:
        batch.add_column(sa.Column("effective_date", sa.Date(), nullable=True))
    op.create_table(
        "planogram_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("cabinet_type", sa.String(length=64), nullable=False),
        sa.Column("slots", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planogram_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_planogram_templates_name")),
    )


def downgrade() -> None:
    """Drop the table and the column."""
    op.drop_table("planogram_templates")
    # plain DROP COLUMN: a batch copy would drop `planogram_versions`, which slots reference
    op.drop_column("planogram_versions", "effective_date")
