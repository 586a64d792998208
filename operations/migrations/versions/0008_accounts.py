"""Accounts and sessions: users' email and forced password change; where each session began.

- ``users.email`` (optional, checked by the service layer) and ``users.must_change_password``
  (set by an admin's password reset, cleared when the user picks a new password).
- ``user_sessions.address`` and ``user_sessions.user_agent``: the client that signed in, where
  known, so admins can tell sessions apart before revoking one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns (existing users have no email and need no password change)."""
    op.add_column("users", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("user_sessions", sa.Column("address", sa.String(length=64), nullable=True))
    op.add_column("user_sessions", sa.Column("user_agent", sa.String(length=500), nullable=True))


def downgrade() -> None:
    """Drop them with plain ``ALTER TABLE … DROP COLUMN`` (SQLite 3.35+): a batch copy of
    ``users`` would drop a table that ``user_sessions`` and others reference."""
    for table, column in (
        ("user_sessions", "user_agent"),
        ("user_sessions", "address"),
        ("users", "must_change_password"),
        ("users", "email"),
    ):
        op.drop_column(table, column)
