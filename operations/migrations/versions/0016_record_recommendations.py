"""A ``record`` recommendation is accepted without a changeover order.

``recommendation_decisions.accept_has_results`` required every accepted recommendation to point
at a service order. A ``record`` (DEX reports a product the master planogram lacks and the
optimiser keeps it: only the planogram changes) needs no visit, so its acceptance makes a
planogram version and no order.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "accept_has_results"
BEFORE = (
    "(decision = 'accepted' AND planogram_version_id IS NOT NULL"
    " AND service_order_id IS NOT NULL)"
    " OR (decision = 'rejected' AND planogram_version_id IS NULL"
    " AND service_order_id IS NULL)"
)
# operations.schema.ACCEPT_HAS_RESULTS as of this revision (a migration keeps its own copy)
AFTER = (
    "(decision = 'accepted' AND planogram_version_id IS NOT NULL"
    " AND (service_order_id IS NOT NULL OR change = 'record'))"
    " OR (decision = 'rejected' AND planogram_version_id IS NULL"
    " AND service_order_id IS NULL)"
)


def _replace(condition: str) -> None:
    # batch: SQLite cannot alter a CHECK constraint in place, the table is copied
    with op.batch_alter_table("recommendation_decisions") as batch:
        batch.drop_constraint(op.f(f"ck_recommendation_decisions_{NAME}"), type_="check")
        batch.create_check_constraint(NAME, condition)


def upgrade() -> None:
    """Allow an accepted ``record`` without a service order."""
    _replace(AFTER)


def downgrade() -> None:
    """Every accepted recommendation needs its service order again (fails while an accepted
    ``record`` without one is stored: decide what to do with it first)."""
    _replace(BEFORE)
