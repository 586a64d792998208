"""Backup and restore where the operational database is a real PostgreSQL 15 (``tests/pg.py``):
``pg_dump`` of the server's own version, loaded into an empty database by ``psql``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ingest.ledger import ledger_path
from ingest.receive import blob_path
from operations import audit, auth, db
from operations.backup.create import create_backup
from operations.backup.layout import HomeParts
from operations.backup.manifest import BackupError
from operations.backup.restore import restore_snapshot
from operations.permissions import SYSTEM
from operations.services.users import add_user
from tests.pg import PostgresServer


def _parts(home: Path, url: str) -> HomeParts:
    archive = home / "archive"
    return HomeParts(home, url, ledger_path(archive), lambda sha: blob_path(archive, sha))


def _users(url: str) -> list[tuple[object, ...]]:
    engine = db.connect(url)
    try:
        with engine.connect() as con:
            query = "SELECT username, role, password_hash FROM users ORDER BY username"
            return [tuple(r) for r in con.execute(text(query))]
    finally:
        engine.dispose()


def test_a_postgresql_backup_restores_into_an_empty_database(
    postgres_server: PostgresServer, postgres_url: str, tmp_path: Path
) -> None:
    auth.use_fast_hashing_for_tests()
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)
    for name in ("ada", "max"):
        add_user(engine, SYSTEM, username=name, role="manager", password=f"{name}-password-1")
    engine.dispose()
    home = tmp_path / "home"
    home.mkdir()
    (home / "planogram.toml").write_text("# kept\n")
    backups = tmp_path / "backups"
    report = create_backup(backups, _parts(home, postgres_url))
    assert (report.snapshot / "operational.sql").is_file()

    with pytest.raises(BackupError, match="not empty"):  # the source database has tables
        restore_snapshot(backups, _parts(tmp_path / "refused", postgres_url), None)
    assert not (tmp_path / "refused").exists()  # refused before writing anything

    target_url = postgres_server.create_database()
    restore_snapshot(backups, _parts(tmp_path / "restored", target_url), None)
    assert _users(target_url) == _users(postgres_url)
    assert [u[0] for u in _users(target_url)] == ["ada", "max"]
    assert (tmp_path / "restored" / "planogram.toml").read_text() == "# kept\n"
    restored = db.connect(target_url)
    try:
        assert audit.verify_chain(restored) is None
        assert db.current_revision(restored) == db.head_revision()
    finally:
        restored.dispose()
