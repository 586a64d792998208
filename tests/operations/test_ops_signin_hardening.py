"""Sign-in under attack (issue 15): no stalled database, no account oracle, no lockout of others.

The Argon2 hasher is argon2-cffi's own, subclassed only to observe: ``ProbingHasher`` tries to
take SQLite's write lock from another connection while each hash runs; ``CountingHasher`` counts
verifications. Both hash with the suite's cheap parameters.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from at_once import run_at_once
from ops_world import PASSWORD, World
from sqlalchemy import Engine, event, select, text

from operations import audit, auth, db, throttle
from operations.errors import AuthenticationError, PermissionDenied
from operations.schema import AuditEntry, User, UserSession, utcnow
from operations.services import users
from tests.pg import sqlite_only

FAILED = "wrong user name or password"
PROBE_WAIT_S = 5  # a lock wait budget for the probe, not a speed target
HOME, ELSEWHERE, ATTACKER = "198.51.100.7", "192.0.2.44", "203.0.113.9"


class ProbingHasher(PasswordHasher):
    """Tries ``BEGIN IMMEDIATE`` on the database file during every verification."""

    def __init__(self, database: Path) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.database = database
        self.probes = 0
        self.blocked: list[str] = []
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # argon2 names it hash
        probe = sqlite3.connect(self.database, timeout=PROBE_WAIT_S, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            with self._lock:
                self.blocked.append(str(error))
        finally:
            probe.close()
        with self._lock:
            self.probes += 1
        return super().verify(hash, password)


class CountingHasher(PasswordHasher):
    """Counts verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # argon2 names it hash
        self.verifications += 1
        return super().verify(hash, password)


def _use(monkeypatch: pytest.MonkeyPatch, hasher: PasswordHasher) -> None:
    monkeypatch.setattr(auth, "_hasher", hasher)
    monkeypatch.setattr(auth, "_dummy_hash", None)


def _database_file(world: World) -> Path:
    return Path(world.url.removeprefix("sqlite:///"))


def _refused(engine: Engine, name: str, password: str, address: str | None = None) -> str:
    with pytest.raises(AuthenticationError) as refused:
        auth.authenticate(engine, name, password, address=address)
    return str(refused.value)


@pytest.fixture
def no_wait_engine(world: World) -> Iterator[Engine]:
    """A second engine on the world's file whose connections never wait for a lock."""
    engine = db.connect(world.url)
    event.listen(
        engine, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=0")
    )
    yield engine
    engine.dispose()


# -- item 2: sign-in does not stall the database ---------------------------------------------


@sqlite_only  # SQLite's write lock and busy timeout
def test_hashing_runs_with_the_write_lock_free_while_threads_sign_in(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = ProbingHasher(_database_file(world))
    _use(monkeypatch, hasher)

    def sign_in_as_strangers(thread: int) -> None:
        for attempt in range(2):
            with pytest.raises(AuthenticationError):
                auth.authenticate(world.engine, f"stranger-{thread}-{attempt}", "guess-guess")

    errors = run_at_once(sign_in_as_strangers, 3)
    assert errors == []
    assert hasher.probes == 6
    assert hasher.blocked == []  # another connection took the write lock during every hash
    with world.engine.connect() as connection:
        audited = connection.execute(
            select(AuditEntry.actor, AuditEntry.entity_key).where(
                AuditEntry.action == "login_failed"
            )
        ).all()
    # failed attempts on unknown names are audited too, each once
    assert sorted(audited) == sorted(
        ("anonymous", f"stranger-{t}-{a}") for t in range(3) for a in range(2)
    )


@sqlite_only  # SQLite's write lock and busy timeout
def test_session_check_reads_while_another_writer_holds_the_lock(
    world: World, no_wait_engine: Engine
) -> None:
    start = utcnow()
    token = auth.authenticate(world.engine, "dave", PASSWORD, now=start)
    writer = sqlite3.connect(_database_file(world), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        # within a minute of the last touch nothing is written: no lock wanted, none waited for
        actor = auth.user_for_session(no_wait_engine, token, now=start + timedelta(seconds=50))
        assert actor == world.actors["dave"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    later = start + timedelta(minutes=5)
    auth.user_for_session(no_wait_engine, token, now=later)
    with world.engine.connect() as connection:
        seen = connection.execute(select(UserSession.last_seen_at)).scalar_one()
    assert seen.replace(tzinfo=later.tzinfo) == later


def test_one_address_spraying_names_is_refused_and_others_are_not(world: World) -> None:
    for attempt in range(throttle.ADDRESS_MAX_FAILURES):
        assert _refused(world.engine, f"name-{attempt}", "guess-guess", ATTACKER) == FAILED
    # from that address even a good password is refused now; from another it is not
    assert _refused(world.engine, "max", PASSWORD, ATTACKER) == FAILED
    assert auth.authenticate(world.engine, "max", PASSWORD, address=ELSEWHERE)


# -- item 4: no account oracle, no lockout of others -----------------------------------------


def test_every_refusal_reads_the_same_and_costs_one_hash(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher()
    _use(monkeypatch, hasher)
    for attempt in range(auth.MAX_FAILED_LOGINS):  # lock vic from the attacker's address
        _refused(world.engine, "vic", f"guess-{attempt}", ATTACKER)
    cases = {
        "unknown user": ("nobody", "not-the-password"),
        "wrong password": ("dave", "not-the-password"),
        "locked, right password": ("vic", PASSWORD),
        "locked, wrong password": ("vic", "not-the-password"),
    }
    for case, (name, password) in cases.items():
        before = hasher.verifications
        assert _refused(world.engine, name, password, ATTACKER) == FAILED, case
        assert hasher.verifications == before + 1, case


def test_lockout_from_one_address_leaves_other_addresses_alone(world: World) -> None:
    for attempt in range(auth.MAX_FAILED_LOGINS):
        _refused(world.engine, "max", f"guess-{attempt}", ATTACKER)
    assert _refused(world.engine, "max", PASSWORD, ATTACKER) == FAILED
    token = auth.authenticate(world.engine, "max", PASSWORD, address=HOME)
    assert auth.user_for_session(world.engine, token).username == "max"


def test_guessing_from_many_addresses_locks_the_account_for_new_addresses_only(
    world: World,
) -> None:
    auth.authenticate(world.engine, "max", PASSWORD, address=HOME)  # a known address
    for attempt in range(throttle.ACCOUNT_MAX_FAILURES):
        _refused(world.engine, "max", "guess-guess", f"203.0.113.{attempt + 1}")
    assert _refused(world.engine, "max", PASSWORD, ELSEWHERE) == FAILED
    assert auth.authenticate(world.engine, "max", PASSWORD, address=HOME)


def test_admin_unlocks_and_sees_the_lockout(world: World) -> None:
    for attempt in range(auth.MAX_FAILED_LOGINS):
        _refused(world.engine, "vic", f"guess-{attempt}", ATTACKER)
    assert _refused(world.engine, "vic", PASSWORD, ATTACKER) == FAILED
    with pytest.raises(PermissionDenied):
        users.unlock_user(world.engine, world.actors["max"], "vic")
    users.unlock_user(world.engine, world.actors["ann"], "vic")
    assert auth.authenticate(world.engine, "vic", PASSWORD, address=ATTACKER)
    events = audit.list_entries(
        world.engine, world.actors["max"], actions=("lockout", "login_failed", "unlock")
    )
    seen = [(e.action, e.entity_key, e.address) for e in events]
    assert ("lockout", "vic", ATTACKER) in seen
    assert seen.count(("login_failed", "vic", ATTACKER)) == auth.MAX_FAILED_LOGINS + 1
    assert seen[0] == ("unlock", "vic", None)


# -- item 16: rehash on sign-in --------------------------------------------------------------


def _stored_hash(world: World, name: str) -> str:
    with world.engine.connect() as connection:
        return connection.execute(
            select(User.password_hash).where(User.username == name)
        ).scalar_one()


def test_a_hash_with_weaker_parameters_is_replaced_at_sign_in(world: World) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORD)
    with world.engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET password_hash = :h WHERE username = 'vic'"), {"h": weak}
        )
    _refused(world.engine, "vic", "not-the-password")
    assert _stored_hash(world, "vic") == weak  # a failed sign-in changes nothing
    auth.authenticate(world.engine, "vic", PASSWORD)
    stored = _stored_hash(world, "vic")
    # the suite's parameters (tests/operations/conftest.py): 64 KiB, 1 pass, 1 lane
    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert PasswordHasher().verify(stored, PASSWORD)
    assert auth.authenticate(world.engine, "vic", PASSWORD)
