"""Alembic environment: runs on the connection handed in by ``operations.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from operations.db import connect
from operations.schema import Base


def run_migrations() -> None:
    """Migrate on the caller's connection if given, else on a fresh engine for the URL."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = connect(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (copy-and-move under the hood).
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
