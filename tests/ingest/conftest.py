"""Every ingestion test runs twice: on the embedded default (the archive's SQLite ledger, a
SQLite operational database) and with both on the session's PostgreSQL server.

``ledger_url`` is what a test passes to the library (None: the SQLite ledger in the archive);
the PostgreSQL run also sets ``CVD_LEDGER_URL`` and ``CVD_DATABASE_URL``, so everything that
reads the settings (the CLI, Dagster runs in this process) uses the same databases.
"""

from __future__ import annotations

import pytest

from tests.pg import PostgresServer


@pytest.fixture(autouse=True)
def ledger_url(
    database_backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str | None:
    """The test's ledger: None (SQLite in the archive) or a new PostgreSQL database."""
    if database_backend == "sqlite":
        monkeypatch.delenv("CVD_LEDGER_URL", raising=False)
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    monkeypatch.setenv("CVD_LEDGER_URL", url)
    monkeypatch.setenv("CVD_DATABASE_URL", server.create_database())
    return url
