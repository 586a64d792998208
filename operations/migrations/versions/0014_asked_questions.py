"""Ask CVD: every question and query put to the assistant, with its outcome and cost.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``asked_questions``."""
    op.create_table(
        "asked_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_write_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "source IN ('ai', 'sql', 'report')", name=op.f("ck_asked_questions_valid_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asked_questions")),
    )
    op.create_index(
        op.f("ix_asked_questions_asked_by"), "asked_questions", ["asked_by"], unique=False
    )
    op.create_index(
        op.f("ix_asked_questions_asked_at"), "asked_questions", ["asked_at"], unique=False
    )


def downgrade() -> None:
    """Drop ``asked_questions``."""
    op.drop_index(op.f("ix_asked_questions_asked_at"), table_name="asked_questions")
    op.drop_index(op.f("ix_asked_questions_asked_by"), table_name="asked_questions")
    op.drop_table("asked_questions")
