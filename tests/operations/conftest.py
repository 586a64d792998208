"""Fixtures for the operational database: a migrated, seeded SQLite file per test.

The seeded world (see ``ops_world``) is built once per session through the service layer and
copied for each test, so every test gets a real, private database file in milliseconds.
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

# Argon2 is slow by design; the suite hashes a few dozen passwords with cheap parameters.
auth.use_fast_hashing_for_tests()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on SQLite or on a real PostgreSQL (``tests/pg.py``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cvd.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db.upgrade(url)
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


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Iterator[World]:
    """A private copy of the seeded database for one test."""
    path = tmp_path / "db" / "cvd.sqlite"
    path.parent.mkdir()
    shutil.copy(world_template, path)
    url = f"sqlite:///{path}"
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
