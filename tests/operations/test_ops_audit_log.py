"""The audit log (issue 15): append-only, hash-chained, one chain under concurrent writers,
with who (the operating-system user on the command line), from where, and every sign-out.

The append-only and tamper tests run on SQLite and on a real PostgreSQL 15 (``tests/pg.py``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from at_once import run_at_once
from ops_world import PASSWORD, World
from sqlalchemy import Engine, exc, select, text

from operations import audit, auth, db
from operations.errors import AuthenticationError
from operations.permissions import SYSTEM
from operations.schema import AuditEntry, utcnow
from operations.services import masterdata, users

DROP_TRIGGERS = {
    "sqlite": ("DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"),
    "postgresql": ("DROP TRIGGER audit_log_no_update_or_delete ON audit_log",),
}


def _save_product(engine: Engine, code: str, price: str = "1.00") -> None:
    masterdata.save_product(
        engine, SYSTEM, code=code, name=f"Product {code}", category="Snacks",
        price=price, cost="0.40", size="S",
    )  # fmt: skip


@pytest.fixture
def engine(migrated: Engine) -> Engine:
    """A migrated database with four audited changes, on SQLite or PostgreSQL."""
    for code in ("P1", "P2", "P3"):
        _save_product(migrated, code)
    _save_product(migrated, "P2", price="2.00")
    return migrated


def _audit_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text("SELECT * FROM audit_log ORDER BY id"))]


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(AuditEntry.id).order_by(AuditEntry.id)).scalars())


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone-else'",
        "DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)",
    ],
    ids=["update", "delete"],
)
def test_audit_log_refuses_update_and_delete(engine: Engine, statement: str) -> None:
    before = _audit_rows(engine)
    assert len(before) == 4
    with pytest.raises(exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    assert _audit_rows(engine) == before


def _behind_the_triggers(engine: Engine, statement: str, **values: object) -> None:
    with engine.begin() as connection:
        for drop in DROP_TRIGGERS[engine.dialect.name]:
            connection.execute(text(drop))
        connection.execute(text(statement), values)


def test_an_edit_behind_the_triggers_is_found_by_verify(engine: Engine) -> None:
    assert audit.verify_chain(engine) is None
    ids = _ids(engine)
    _behind_the_triggers(
        engine, "UPDATE audit_log SET after = :after WHERE id = :id",
        after='{"price_cents": 1}', id=ids[1],
    )  # fmt: skip
    assert audit.verify_chain(engine) == ids[1]


def test_a_removed_row_is_found_by_verify(engine: Engine) -> None:
    ids = _ids(engine)
    _behind_the_triggers(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[1])
    assert audit.verify_chain(engine) == ids[2]  # the row after the gap no longer links


def test_concurrent_writers_keep_one_chain_on_postgresql(postgres_url: str) -> None:
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)

    def write(writer: int) -> None:
        for n in range(8):
            _save_product(engine, f"W{writer}-{n}")

    errors = run_at_once(write, 6)
    try:
        assert errors == []
        assert len(_ids(engine)) == 6 * 8
        assert audit.verify_chain(engine) is None
    finally:
        engine.dispose()


def test_sign_in_sign_out_and_idle_expiry_are_audited_with_origin(world: World) -> None:
    browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"
    first = auth.authenticate(
        world.engine, "dave", PASSWORD, address="192.0.2.10", user_agent=browser
    )
    second = auth.authenticate(world.engine, "dave", PASSWORD, address="192.0.2.11")
    with audit.origin("192.0.2.10", browser):
        auth.logout(world.engine, first, reason="sign_out")
        auth.logout(world.engine, first, reason="sign_out")  # already gone: nothing more
    auth.logout(world.engine, second, reason="idle")
    with audit.origin("192.0.2.12", "curl/8.5.0"):
        _save_product(world.engine, "P9")
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(
                AuditEntry.action, AuditEntry.actor, AuditEntry.after,
                AuditEntry.address, AuditEntry.user_agent,
            )
            .where(AuditEntry.action.in_(["login", "logout"]) | (AuditEntry.entity_key == "P9"))
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("login", "dave", None, "192.0.2.10", browser),
        ("login", "dave", None, "192.0.2.11", None),
        ("logout", "dave", '{"reason": "sign_out"}', "192.0.2.10", browser),
        ("logout", "dave", '{"reason": "idle"}', None, None),
        ("create", "system", rows[-1].after, "192.0.2.12", "curl/8.5.0"),
    ]
    assert audit.verify_chain(world.engine) is None


def test_parallel_wrong_passwords_all_count_on_postgresql(postgres_url: str) -> None:
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)
    users.add_user(engine, SYSTEM, username="alice", role="manager", password=PASSWORD)
    guesses, attacker, home = 20, "203.0.113.5", "198.51.100.1"
    start = utcnow()
    auth.authenticate(engine, "alice", PASSWORD, address=home, now=start - timedelta(days=1))
    outcomes: list[str] = []

    def guess(n: int) -> None:
        with pytest.raises(AuthenticationError) as refused:
            auth.authenticate(engine, "alice", f"guess-{n}", address=attacker, now=start)
        outcomes.append(str(refused.value))

    guess(0)  # the first failure creates the counters; the other guesses all arrive at once
    assert run_at_once(lambda n: guess(n + 1), guesses - 1) == []
    try:
        with engine.connect() as connection:
            account = connection.execute(text("SELECT failed_logins FROM users")).scalar_one()
            pair = connection.execute(
                text("SELECT failures FROM sign_in_throttle WHERE scope = 'pair' AND address = :a"),
                {"a": attacker},
            ).scalar_one()
        assert (account, pair) == (guesses, guesses)  # not one failure lost
        assert outcomes == ["wrong user name or password"] * guesses
        later = start + timedelta(minutes=1)
        with pytest.raises(AuthenticationError):  # that address is locked out now
            auth.authenticate(engine, "alice", PASSWORD, address=attacker, now=later)
        assert auth.authenticate(engine, "alice", PASSWORD, address=home, now=later)
    finally:
        engine.dispose()


def test_the_migration_chains_the_rows_written_before_it(database_url: str) -> None:
    url = database_url
    db.upgrade(url, "0003")
    engine = db.connect(url)
    rows = [
        ("2026-11-30 08:00:00.000000", "system", "create", "product", "P1", '{"code": "P1"}'),
        ("2026-11-30 08:00:01.500000", "ann", "update", "product", "P1", '{"code": "P1"}'),
        ("2026-11-30 09:10:00.000000", "ann", "delete", "product", "P1", None),
    ]
    with engine.begin() as connection:
        for at, actor, action, entity, key, after in rows:
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_key, after)"
                    " VALUES (:at, :actor, :action, :entity, :key, :after)"
                ),
                {"at": at, "actor": actor, "action": action, "entity": entity, "key": key,
                 "after": after},
            )  # fmt: skip
    engine.dispose()
    db.upgrade(url)
    engine = db.connect(url)
    try:
        assert audit.verify_chain(engine) is None
        _save_product(engine, "P2")  # new rows continue the same chain
        assert audit.verify_chain(engine) is None
        _behind_the_triggers(engine, "UPDATE audit_log SET actor = 'bob' WHERE id = 2")
        assert audit.verify_chain(engine) == 2
    finally:
        engine.dispose()
