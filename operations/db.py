"""Engines, sessions and migrations for the operational database.

SQLite is the embedded default. Each SQLite connection gets WAL journaling (readers never block
the writer), a busy timeout, enforced foreign keys, and write transactions that start with
``BEGIN IMMEDIATE``: a transaction takes the write lock up front, so two processes serialise
instead of one failing with "database is locked" when it upgrades a read lock to a write lock.
Work that only reads uses :func:`reading` instead: a plain (deferred) ``BEGIN`` that never takes
the write lock, so checking a session or listing rows never waits for, or delays, a writer.
PostgreSQL (``CVD_DATABASE_URL=postgresql+psycopg://...``) needs none of that.

A SQLite file holds password hashes and the audit log, so :func:`connect` creates its folder 0700
and the file 0600 whatever the process umask (SQLite gives its -wal and -shm files the database
file's mode).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from operations.errors import SchemaOutdated

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connection execution option that marks a read-only unit of work (see `reading`).
READ_ONLY_OPTION = "cvd_read_only"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

DbTarget = Engine | Session


def connect(url: str) -> Engine:
    """Create an engine for ``url``; for a SQLite file, create its folder and set the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _create_private(Path(database).expanduser())
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _create_private(database: Path) -> None:
    """Create the SQLite file (and its folder) owner-only before SQLite creates it 0644."""
    database.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    try:
        fd = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    except FileExistsError:
        return  # an existing database keeps the mode its owner gave it
    os.close(fd)


def _configure_sqlite_connection(dbapi_connection: Any, _record: object) -> None:
    # Hand transaction control to SQLAlchemy (the driver would otherwise BEGIN on its own,
    # DEFERRED, and break savepoints), then set the per-connection pragmas.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (services return them to callers)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(target: DbTarget) -> Iterator[Session]:
    """One atomic unit of work on ``target``.

    Given an engine: a new session, committed at the end or rolled back on error. Given a session
    outside a transaction: a transaction on it, committed at the end. Given a session already in
    a transaction: a savepoint, so a failed call rolls back only its own writes and the caller
    still owns the commit.
    """
    if isinstance(target, Engine):
        with session_factory(target)() as session, session.begin():
            yield session
        return
    if target.in_transaction():
        with target.begin_nested():
            yield target
        return
    with target.begin():
        yield target


@contextmanager
def reading(target: DbTarget) -> Iterator[Session]:
    """A unit of work that only reads: on SQLite it never takes the database's write lock.

    Given an engine: a new session on a connection marked read-only (a deferred ``BEGIN``; with
    WAL it neither waits for nor blocks a writer). Given a session: :func:`transaction` on it, as
    the caller's transaction decides the locking. Do not write through it.
    """
    if not isinstance(target, Engine):
        with transaction(target) as session:
            yield session
        return
    with target.connect() as connection:
        connection.execution_options(**{READ_ONLY_OPTION: True})
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session


@dataclass(frozen=True)
class Compacted:
    """What :func:`compact` did: the statements run and the file's bytes before and after
    (SQLite only; None on a server database)."""

    statements: tuple[str, ...]
    bytes_before: int | None = None
    bytes_after: int | None = None


def compact(url: str) -> Compacted:
    """``VACUUM`` then ``ANALYZE`` a SQLite database (its WAL checkpointed and truncated);
    ``ANALYZE`` alone on PostgreSQL, whose own autovacuum reclaims space."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        finally:
            engine.dispose()
        return Compacted(("ANALYZE",))
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError(f"{url}: not a SQLite file")
    return compact_sqlite_file(Path(parsed.database).expanduser())


def compact_sqlite_file(path: Path) -> Compacted:
    """``VACUUM`` and ``ANALYZE`` the SQLite file at ``path`` (any CVD SQLite: the operational
    database, the archive's ledger). VACUUM waits for the write lock like any writer."""
    before = _sqlite_bytes(path)
    con = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        statements = ("VACUUM", "ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)")
        for statement in statements:
            con.execute(statement).fetchall()
    finally:
        con.close()
    return Compacted(statements, before, _sqlite_bytes(path))


def _sqlite_bytes(path: Path) -> int:
    files = (path, path.with_name(path.name + "-wal"))
    return sum(f.stat().st_size for f in files if f.exists())


def _alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema at ``url`` to ``revision`` by running the migrations."""
    engine = connect(url)
    try:
        with engine.begin() as connection:
            config = _alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest migration shipped with this code."""
    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise SchemaOutdated("no migrations found in " + str(MIGRATIONS_DIR))
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database at ``engine`` stands at (None when never upgraded)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(engine: Engine) -> None:
    """Raise :class:`SchemaOutdated` unless the database is at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current or 'nothing'}, code expects {head}: "
            "run `cvd db upgrade`"
        )
