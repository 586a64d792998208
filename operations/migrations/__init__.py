"""Alembic migrations of the operational database (run via :func:`operations.db.upgrade`)."""
