"""Recommendation decisions: who accepted or rejected which planogram recommendation, and why.

One row per recommendation (``recommendation_id`` is UNIQUE: a recommendation is decided once).
An accepted row names the planogram version and the changeover service order it created; a
rejected row must carry a reason. Both rules are CHECK constraints.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``recommendation_decisions``."""
    op.create_table(
        "recommendation_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("machine_serial", sa.String(length=64), nullable=False),
        sa.Column("cabinet_id", sa.Integer(), nullable=False),
        sa.Column("cabinet_index", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("current_product_code", sa.String(length=64), nullable=True),
        sa.Column("recommended_product_code", sa.String(length=64), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("par_level", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("planogram_version_id", sa.Integer(), nullable=True),
        sa.Column("service_order_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('accepted', 'rejected')",
            name=op.f("ck_recommendation_decisions_valid_decision"),
        ),
        sa.CheckConstraint(
            "decision = 'accepted' OR length(trim(reason)) > 0",
            name=op.f("ck_recommendation_decisions_reject_has_reason"),
        ),
        sa.CheckConstraint(
            "(decision = 'accepted' AND planogram_version_id IS NOT NULL"
            " AND service_order_id IS NOT NULL)"
            " OR (decision = 'rejected' AND planogram_version_id IS NULL"
            " AND service_order_id IS NULL)",
            name=op.f("ck_recommendation_decisions_accept_has_results"),
        ),
        sa.ForeignKeyConstraint(
            ["cabinet_id"],
            ["cabinets.id"],
            name=op.f("fk_recommendation_decisions_cabinet_id_cabinets"),
        ),
        sa.ForeignKeyConstraint(
            ["planogram_version_id"],
            ["planogram_versions.id"],
            name=op.f("fk_recommendation_decisions_planogram_version_id_planogram_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["service_order_id"],
            ["service_orders.id"],
            name=op.f("fk_recommendation_decisions_service_order_id_service_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_decisions")),
        sa.UniqueConstraint(
            "recommendation_id", name=op.f("uq_recommendation_decisions_recommendation_id")
        ),
    )
    op.create_index(
        op.f("ix_recommendation_decisions_cabinet_id"),
        "recommendation_decisions",
        ["cabinet_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop it (its index goes with it)."""
    op.drop_table("recommendation_decisions")
