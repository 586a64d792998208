"""Fixtures for the operational database: a migrated, seeded database per test, on SQLite and
on PostgreSQL (``database_backend``: each test taking ``world``, ``migrated`` or
``database_url`` runs on both).

The seeded world (see ``ops_world``) is built once per session and backend through the service
layer and copied for each test (a file copy; ``CREATE DATABASE ... TEMPLATE`` on the session's
PostgreSQL server), so every test gets a real, private database in milliseconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_world import World, cabinet_ids, seed, table_contents
from sqlalchemy import Engine, select

from operations import auth, db
from operations.permissions import Actor
from operations.schema import User
from tests.pg import PostgresServer

# Argon2 is slow by design; the suite hashes a few dozen passwords with cheap parameters.
auth.use_fast_hashing_for_tests()


@pytest.fixture
def database_url(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (never migrated) on the test's backend: a SQLite file, or a new
    database on the session's PostgreSQL server."""
    if database_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'cvd.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def pg_migrated_template(postgres_server: PostgresServer) -> str:
    """A PostgreSQL database at the newest migration, built once, copied by tests."""
    url = postgres_server.create_database()
    db.upgrade(url)
    return postgres_server.database_name(url)


@pytest.fixture(scope="session")
def pg_world_template(postgres_server: PostgresServer, pg_migrated_template: str) -> str:
    """The seeded world on PostgreSQL, built once, copied by tests (CREATE DATABASE ...
    TEMPLATE: a few tens of milliseconds, against seconds to migrate and seed)."""
    url = postgres_server.create_database(template=pg_migrated_template)
    engine = db.connect(url)
    seed(engine)
    engine.dispose()  # a template may have no connection open while it is copied
    return postgres_server.database_name(url)


@pytest.fixture
def migrated(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """A migrated, empty database on SQLite or on a real PostgreSQL (``tests/pg.py``)."""
    if database_backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'cvd.sqlite'}"
        db.upgrade(url)
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(template=request.getfixturevalue("pg_migrated_template"))
    engine = db.connect(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded database file, built once."""
    path = tmp_path_factory.mktemp("template") / "cvd.sqlite"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.connect(url)
    seed(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the main file
    assert not path.with_name("cvd.sqlite-wal").exists()
    return path


def _world_url(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A private copy of the seeded world for one test, on its backend."""
    if database_backend == "sqlite":
        path = tmp_path / "db" / "cvd.sqlite"
        path.parent.mkdir()
        shutil.copy(request.getfixturevalue("world_template"), path)
        return f"sqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(template=request.getfixturevalue("pg_world_template"))


@pytest.fixture
def world(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """A private copy of the seeded database for one test, on SQLite and on PostgreSQL."""
    url = _world_url(database_backend, tmp_path, request)
    engine = db.connect(url)
    with engine.connect() as connection:
        user_rows = connection.execute(select(User.username, User.role, User.id)).all()
    actors = {name: Actor(username=name, role=role, user_id=uid) for name, role, uid in user_rows}
    yield World(
        url=url,
        engine=engine,
        actors=actors,
        cabinets=cabinet_ids(engine),
        orders={"draft": 1, "scheduled": 2, "in_progress": 3, "erin_in_progress": 4},
    )
    engine.dispose()


@pytest.fixture
def unchanged(world: World) -> Iterator[None]:
    """Assert, after the test body, that no table changed at all."""
    before = table_contents(world.engine)
    yield
    assert table_contents(world.engine) == before
