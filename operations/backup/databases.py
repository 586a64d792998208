"""Consistent copies of the databases while they are in use, and putting them back.

SQLite (the operational database by default, and the archive's ledger): SQLite's online backup
API in one step, which reads one consistent version of the database while writers (WAL mode)
go on. PostgreSQL: ``pg_dump`` (one transaction, so one consistent version) of the server's own
major version, from ``pg_config --bindir``; restored with ``psql`` in a single transaction.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from operations.backup.manifest import BackupError

PG_BINARY_DIRS = (Path("/usr/lib/postgresql/15/bin"),)


def database_kind(url: str) -> str:
    """``sqlite`` or ``postgresql`` (anything else is refused)."""
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database")
    return backend


def sqlite_file(url: str) -> Path:
    """The file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"{url}: not a SQLite file")
    return Path(database).expanduser()


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the live SQLite database ``source`` to ``target`` (a new file, rollback journal,
    so it is one self-contained file)."""
    if not source.is_file():
        raise BackupError(f"{source}: database not found")
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    # read-only URI: the backup never creates, migrates or writes the live database
    live = f"{source.as_uri()}?mode=ro"
    with (
        closing(sqlite3.connect(live, uri=True, timeout=60)) as src,
        closing(sqlite3.connect(tmp)) as dst,
    ):
        src.backup(dst, pages=-1)  # one step: one consistent version
        dst.execute("PRAGMA journal_mode=DELETE")
    tmp.replace(target)


def restore_sqlite(copy: Path, target: Path) -> None:
    """Put the copy ``copy`` in place as the database ``target`` (which must not exist)."""
    if target.exists():
        raise BackupError(f"{target}: exists, refusing to overwrite")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(copy, tmp)
    tmp.chmod(0o600)
    tmp.replace(target)


def pg_binary(name: str) -> Path:
    """The PostgreSQL client program ``name`` from ``pg_config --bindir`` (or the Debian path)."""
    dirs: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(  # noqa: S603 - the pg_config on PATH, fixed argument
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            dirs.append(Path(found.stdout.strip()))
    for directory in [*dirs, *PG_BINARY_DIRS]:
        if (directory / name).is_file():
            return directory / name
    raise BackupError(f"{name} not found (pg_config --bindir, {PG_BINARY_DIRS[0]})")


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/psql, the password in the environment (never argv)."""
    parsed = make_url(url)
    args = ["--host", parsed.host or "localhost", "--port", str(parsed.port or 5432)]
    args += ["--username", parsed.username or "postgres", "--dbname", parsed.database or ""]
    env = {"PGPASSWORD": parsed.password or "", "PGCONNECT_TIMEOUT": "30"}
    return args, env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL client program (found by :func:`pg_binary`) without a shell."""
    return subprocess.run(  # noqa: S603 - our own argument list, no shell
        command, capture_output=True, text=True, env=env, check=False
    )


def dump_postgres(url: str, target: Path) -> None:
    """``pg_dump`` the database of ``url`` into the plain SQL file ``target``."""
    args, env = _libpq(url)
    tmp = target.with_name(f".{target.name}.tmp")
    command = [str(pg_binary("pg_dump")), *args, "--no-owner", "--no-privileges", "--file"]
    done = _run([*command, str(tmp)], env)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    tmp.replace(target)


def check_empty_postgres(url: str) -> None:
    """BackupError unless the database of ``url`` has no table in ``public``."""
    args, env = _libpq(url)
    command = [str(pg_binary("psql")), *args, "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1"]
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    has_tables = _run([*command, "--tuples-only", "--command", tables], env)
    if has_tables.returncode != 0:
        raise BackupError(f"psql failed: {has_tables.stderr.strip()}")
    if int(has_tables.stdout.strip() or 0):
        raise BackupError(f"{make_url(url).database}: the database is not empty")


def restore_postgres(dump: Path, url: str) -> None:
    """Load ``dump`` into the (empty) database of ``url`` with psql, all or nothing."""
    check_empty_postgres(url)
    args, env = _libpq(url)
    command = [str(pg_binary("psql")), *args, "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1"]
    done = _run([*command, "--single-transaction", "--file", str(dump)], env)
    if done.returncode != 0:
        raise BackupError(f"psql restore of {dump} failed: {done.stderr.strip()}")
