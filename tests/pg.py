"""A real, throwaway PostgreSQL 15 server for tests: fixtures ``postgres_server``, ``postgres_url``
and ``database_backend`` (a test that takes it runs on SQLite and on PostgreSQL).

The server runs from the Debian binaries (``pg_config --bindir``, else
/usr/lib/postgresql/15/bin, else another installed major version) on a temporary data folder
and a free loopback port, with trust authentication and no Unix socket outside that folder.
PostgreSQL refuses to run as root, so when the tests run as root every server command runs as
the ``postgres`` system user (``runuser``) and the data folder is handed to that user. Tests that
use it are skipped, with the reason, where the binaries (or, as root, the ``postgres`` user) are
missing.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

FALLBACK_BINDIR = Path("/usr/lib/postgresql/15/bin")
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found:
            candidates.append(Path(found))
    candidates.append(FALLBACK_BINDIR)
    # Debian installs each major version side by side; any one will do, newest first.
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return folder
    return None


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """One running server: where its binaries and data are, and its port."""

    bindir: Path
    folder: Path
    port: int
    run_as: str | None  # the system user running the server (None: the current user)
    _databases: itertools.count[int]

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.folder / "data"

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bindir / tool), *args]
        return ["runuser", "-u", self.run_as, "--", *command] if self.run_as else command

    def run(self, tool: str, *args: str) -> None:
        """Run ``initdb`` or ``pg_ctl`` as the server's user; raise with its output if it fails."""
        done = subprocess.run(
            self._command(tool, *args), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """Create a new database, empty or a copy of the database named ``template`` (which
        no one may be connected to), and return its SQLAlchemy URL."""
        import psycopg  # only tests that reach a server need the driver

        name = f"cvd_test_{next(self._databases)}"
        dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        # FILE_COPY: a copy of a small template's files, several times faster than WAL_LOG
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
        return self.url(name)

    def database_name(self, url: str) -> str:
        """The database a URL of this server names."""
        return url.rsplit("/", 1)[1]


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no {SYSTEM_USER!r} system user for PostgreSQL")
    return SYSTEM_USER


def start_server() -> PostgresServer:
    """Initialise and start a server on a new temporary folder (skip if PostgreSQL is absent)."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL binaries not found (pg_config --bindir, {FALLBACK_BINDIR})")
    run_as = _run_as()
    # Under /tmp, not pytest's per-user folder: the server's user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="cvd-pg-"))
    if run_as:
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    server = PostgresServer(bindir, folder, _free_loopback_port(), run_as, itertools.count(1))
    try:
        server.run(
            "initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "--auth=trust", "--no-sync"
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port}"
            f" -c unix_socket_directories={folder} -c fsync=off -c full_page_writes=off"
        )
        server.run(
            "pg_ctl", "start", "-D", str(server.data_dir), "-w", "-t", str(START_TIMEOUT_S),
            "-l", str(folder / "server.log"), "-o", options,
        )  # fmt: skip
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server


def stop_server(server: PostgresServer) -> None:
    """Stop the server (fast shutdown) and delete its folder."""
    try:
        server.run("pg_ctl", "stop", "-D", str(server.data_dir), "-m", "fast", "-w")
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


def count(url: str, sql: str) -> int:
    """The one number ``sql`` selects from the database a SQLAlchemy ``url`` names; 0 while
    the table it reads does not exist yet."""
    import psycopg  # only tests that reach a server need the driver
    from sqlalchemy.engine import make_url

    u = make_url(url)
    dsn = f"host={u.host} port={u.port} user={u.username} dbname={u.database}"
    try:
        with psycopg.connect(dsn) as con:
            row = con.execute(sql.encode()).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole test session, stopped at its end."""
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on the session's server: ``postgresql+psycopg://...``."""
    return postgres_server.create_database()


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    """Each test that asks for it runs twice: on SQLite (the embedded default) and on the
    session's PostgreSQL server (skipped with the reason where PostgreSQL is missing)."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_server")  # starts it, or skips the test with a reason
    return str(request.param)


# A test of SQLite's own behaviour (its pragmas, its file locks): overrides ``database_backend``.
sqlite_only = pytest.mark.parametrize("database_backend", ["sqlite"])
