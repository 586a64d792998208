"""Homes for the API tests: an empty one for intake (migrated, no warehouse) and a small
materialized demo home for the read API (`cvd demo-data --machines 3 --days 10`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from api.config import ApiConfig
from operations import db
from operations.permissions import SYSTEM
from operations.services import tokens
from orchestration.settings import Settings, load_settings
from tests.api.server import Running, serve
from tests.orchestration.pipeline import cvd


@dataclass(frozen=True)
class Tokens:
    """One token per scope, plus a revoked and an expired one (all read scope but those)."""

    intake: str
    read: str
    metrics: str
    revoked: str
    expired: str


def make_tokens(settings: Settings, prefix: str = "") -> Tokens:
    """Add the tokens through the service layer (as `cvd tokens add` does)."""
    engine = db.connect(settings.database_url)
    try:
        made = {
            scope: tokens.add_token(engine, SYSTEM, name=f"{prefix}{scope}", scope=scope)[1]
            for scope in ("intake", "read", "metrics")
        }
        revoked = tokens.add_token(engine, SYSTEM, name=f"{prefix}gone", scope="intake")[1]
        tokens.revoke_token(engine, SYSTEM, f"{prefix}gone")
        expired = tokens.add_token(
            engine,
            SYSTEM,
            name=f"{prefix}old",
            scope="intake",
            expires=date(2020, 1, 31),
            now=datetime.fromisoformat("2020-01-01T00:00:00+00:00"),
        )[1]
    finally:
        engine.dispose()
    return Tokens(made["intake"], made["read"], made["metrics"], revoked, expired)


def empty_home(path: Path) -> Settings:
    """A home with a migrated database and nothing received."""
    settings = load_settings(path)
    db.upgrade(settings.database_url)
    return settings


@pytest.fixture(scope="module")
def intake_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Tokens]]:
    """The API over an empty home, with generous limits (rate limits have their own test)."""
    settings = empty_home(tmp_path_factory.mktemp("intake") / "home")
    made = make_tokens(settings)
    config = ApiConfig(settings, max_body_bytes=64 * 1024, rate_per_second=1000.0, burst=1000)
    with serve(config) as running:
        yield running, made


@pytest.fixture(scope="session")
def read_home(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """`cvd demo-data --machines 3 --days 10`, imported and materialized once."""
    home = tmp_path_factory.mktemp("api-read") / "home"
    with pytest.MonkeyPatch.context() as env:  # what the CLI sets is undone on leaving
        env.setenv("CVD_HOME", str(home))
        env.delenv("CVD_DATABASE_URL", raising=False)
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        args = ("--machines", "3", "--days", "10", "--seed", "5", "--home", str(home))
        assert cvd("demo-data", *args) == 0
        assert cvd("db", "upgrade", "--home", str(home)) == 0
        assert cvd("import", "master-data", "--home", str(home)) == 0
        assert cvd("materialize", "--home", str(home)) == 0
    return load_settings(home)


@pytest.fixture(scope="session")
def read_api(read_home: Settings) -> Iterator[tuple[Running, Tokens]]:
    """The API over the materialized demo home."""
    made = make_tokens(read_home, prefix="r-")
    config = ApiConfig(read_home, rate_per_second=1000.0, burst=1000)
    with serve(config) as running:
        yield running, made
