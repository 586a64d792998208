"""Accounts and sessions: the password policy, admin resets with a forced change, changing
one's own password, deactivation that hands open orders over, reactivation, email, and the
sessions admins list and revoke. Expected values are the issue's or worked out from the seeded
world (``ops_world``: erin drives R2 and holds in-progress order 4; dave holds orders 1-3)."""

from __future__ import annotations

import pytest
from alembic import command
from ops_world import PASSWORD, World, table_contents
from sqlalchemy import inspect, text

from operations import auth, db, passwords
from operations.data import make_common_passwords
from operations.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from operations.permissions import SYSTEM
from operations.services import orders, users


def _audit(world: World, action: str) -> list[tuple[object, ...]]:
    with world.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT actor, entity_key, after FROM audit_log WHERE action = :a ORDER BY id"),
            {"a": action},
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop12", "PASSWORD1234", "QwertyUiop12", "aaaaaaaaaaaa"]
)
def test_common_passwords_are_refused_whatever_the_case(password: str) -> None:
    with pytest.raises(ValidationError, match="common passwords") as refused:
        passwords.check_password(password)
    assert password not in str(refused.value)  # never echoed


def test_length_and_user_name_rules() -> None:
    with pytest.raises(ValidationError, match="12 to 1024"):
        passwords.check_password("Tr0ub4dor&3")  # 11 characters
    assert passwords.check_password("Tr0ub4dor&3x") == "Tr0ub4dor&3x"  # 12, no composition rule
    assert passwords.check_password("only lower case words") == "only lower case words"
    with pytest.raises(ValidationError, match="user name"):
        passwords.check_password("Marguerite.Dupont", username="marguerite.dupont")


def test_the_shipped_list_is_what_its_generator_builds() -> None:
    shipped = passwords.COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    assert shipped == make_common_passwords.generate()
    assert 2_000 <= len(shipped) <= 20_000  # "a few thousand"
    assert all(len(word) >= passwords.MIN_LENGTH for word in shipped)


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(50):
        assert passwords.check_password(auth.generate_password())


def test_reset_forces_a_change_before_anything_else(world: World) -> None:
    ann = world.actors["ann"]
    old_session = auth.authenticate(world.engine, "dave", PASSWORD, address="198.51.100.7")
    temporary = users.reset_password(world.engine, ann, "dave")
    with pytest.raises(AuthenticationError):  # the reset ends every session
        auth.user_for_session(world.engine, old_session)
    with pytest.raises(AuthenticationError):  # and the old password
        auth.authenticate(world.engine, "dave", PASSWORD)
    token = auth.authenticate(world.engine, "dave", temporary)
    dave = auth.user_for_session(world.engine, token)
    assert dave.must_change_password
    with pytest.raises(PermissionDenied, match="change the temporary password first"):
        orders.list_orders(world.engine, dave)
    with pytest.raises(ValidationError, match="current password is wrong"):
        auth.change_password(world.engine, dave, current="not-it-at-all", new="a-brand-new-secret")
    with pytest.raises(ValidationError, match="common passwords"):
        auth.change_password(world.engine, dave, current=temporary, new="password1234")
    with pytest.raises(ValidationError, match="must differ"):
        auth.change_password(world.engine, dave, current=temporary, new=temporary)
    other = auth.authenticate(world.engine, "dave", temporary)  # a second tab
    auth.change_password(
        world.engine, dave, current=temporary, new="a-brand-new-secret", keep_token=token
    )
    dave = auth.user_for_session(world.engine, token)  # the changing session lives on
    assert not dave.must_change_password
    assert len(orders.list_orders(world.engine, dave)) == 3  # dave's orders 1-3
    with pytest.raises(AuthenticationError):
        auth.user_for_session(world.engine, other)
    with pytest.raises(AuthenticationError):
        auth.authenticate(world.engine, "dave", temporary)
    assert auth.authenticate(world.engine, "dave", "a-brand-new-secret")
    assert [row[:2] for row in _audit(world, "reset_password")] == [("ann", "dave")]
    assert [row[:2] for row in _audit(world, "password_change_failed")] == [("dave", "dave")]
    assert [row[:2] for row in _audit(world, "change_password")] == [("dave", "dave")]
    with world.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert not any(temporary in value or "a-brand-new-secret" in value for value in stored)


def test_reset_lifts_the_lock(world: World) -> None:
    for attempt in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationError):
            auth.authenticate(world.engine, "vic", f"guess-number-{attempt}")
    temporary = users.reset_password(world.engine, world.actors["ann"], "vic")
    assert auth.authenticate(world.engine, "vic", temporary)


def test_everyone_changes_their_own_password(world: World) -> None:
    for name in ("ann", "max", "dave", "vic"):
        actor = world.actors[name]
        auth.change_password(world.engine, actor, current=PASSWORD, new=f"{name}-own-choice-77")
        assert auth.authenticate(world.engine, name, f"{name}-own-choice-77")


def test_deactivating_a_driver_with_open_orders_needs_a_successor(
    world: World,
) -> None:
    ann = world.actors["ann"]
    before = table_contents(world.engine)
    with pytest.raises(ValidationError, match=r"erin holds 1 open orders \(4\)"):
        users.deactivate_user(world.engine, ann, "erin")
    with pytest.raises(ValidationError, match="role is viewer, not driver"):
        users.deactivate_user(world.engine, ann, "erin", reassign_to="vic")
    with pytest.raises(ValidationError, match="being deactivated"):
        users.deactivate_user(world.engine, ann, "erin", reassign_to="erin")
    with pytest.raises(ValidationError, match="no such user"):
        users.deactivate_user(world.engine, ann, "erin", reassign_to="nobody")
    assert table_contents(world.engine) == before  # every refusal left everything as it was
    assert users.deactivate_user(world.engine, ann, "erin", reassign_to="dave") == [4]
    assert orders.get_order(world.engine, ann, 4).driver_username == "dave"
    assert "erin" not in {u.username for u in users.list_users(world.engine, ann)}
    moved = _audit(world, "order.assign")
    assert [(actor, key) for actor, key, _ in moved] == [("ann", "4")]
    # dave now holds orders 1-4; deactivating him hands all four to a reactivated erin
    users.reactivate_user(world.engine, ann, "erin")
    assert users.deactivate_user(world.engine, ann, "dave", reassign_to="erin") == [1, 2, 3, 4]


def test_deactivating_someone_without_open_orders_needs_no_successor(world: World) -> None:
    assert users.deactivate_user(world.engine, world.actors["ann"], "vic") == []


def test_reactivated_user_signs_in_again(world: World) -> None:
    ann = world.actors["ann"]
    users.deactivate_user(world.engine, ann, "vic")
    with pytest.raises(AuthenticationError):
        auth.authenticate(world.engine, "vic", PASSWORD)
    everyone = users.list_users(world.engine, ann, include_deactivated=True)
    assert [u.username for u in everyone if u.deleted_at is not None] == ["vic"]
    users.reactivate_user(world.engine, ann, "vic")
    assert auth.authenticate(world.engine, "vic", PASSWORD)
    with pytest.raises(ValidationError, match="already active"):
        users.reactivate_user(world.engine, ann, "vic")
    with pytest.raises(NotFound):
        users.reactivate_user(world.engine, ann, "nobody")
    assert [row[:2] for row in _audit(world, "reactivate")] == [("ann", "vic")]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Vic.Tor+ops@Example.COM", "Vic.Tor+ops@example.com"),
        ("  vic@mail.example.org ", "vic@mail.example.org"),
        ("", None),
        (None, None),
    ],
)
def test_email_is_checked_and_stored(world: World, given: object, stored: object) -> None:
    users.set_email(world.engine, world.actors["ann"], "vic", given)
    with world.engine.connect() as connection:
        found = connection.execute(text("SELECT email FROM users WHERE username = 'vic'"))
        assert found.scalar_one() == stored


@pytest.mark.parametrize(
    "bad",
    [
        "vic",
        "vic@localhost",
        "vic@@example.com",
        "vic@example..com",
        ".vic@example.com",
        "vic@-example.com",
        "<script>@example.com",
        "vic smith@example.com",
        "a" * 65 + "@example.com",
        "vic@" + "a" * 250 + ".com",
        "vic@" + "a-" * 120 + "!",  # long, nearly matching: must still answer at once
        12345,
    ],
)
def test_bad_emails_are_refused(world: World, unchanged: None, bad: object) -> None:
    with pytest.raises(ValidationError) as refused:
        users.set_email(world.engine, world.actors["ann"], "vic", bad)
    assert refused.value.field == "email"


def test_admins_list_and_revoke_sessions(world: World) -> None:
    ann = world.actors["ann"]
    first = auth.authenticate(
        world.engine, "max", PASSWORD, address="198.51.100.7", user_agent="Firefox/140"
    )
    second = auth.authenticate(world.engine, "max", PASSWORD)  # the command line: no address
    auth.authenticate(world.engine, "vic", PASSWORD, address="203.0.113.9")
    seen = users.list_sessions(world.engine, ann, "max")
    assert {(s.address, s.user_agent) for s in seen} == {
        ("198.51.100.7", "Firefox/140"),
        (None, None),
    }
    assert all(s.username == "max" and s.last_seen_at == s.created_at for s in seen)
    assert {s.username for s in users.list_sessions(world.engine, ann)} == {"max", "vic"}
    target = next(s for s in seen if s.address == "198.51.100.7")
    assert first not in target.session_id  # the token is never shown
    assert users.revoke_session(world.engine, ann, target.session_id) == "max"
    with pytest.raises(AuthenticationError, match="revoked"):
        auth.user_for_session(world.engine, first)
    assert auth.user_for_session(world.engine, second).username == "max"
    assert [s.address for s in users.list_sessions(world.engine, ann, "max")] == [None]
    with pytest.raises(NotFound):  # already revoked
        users.revoke_session(world.engine, ann, target.session_id)
    with pytest.raises(ValidationError, match="hex digits"):
        users.revoke_session(world.engine, ann, "abc")
    assert [row[:2] for row in _audit(world, "revoke_session")] == [("ann", "max")]


def test_accounts_on_postgresql(postgres_url: str) -> None:
    """The migration, a reset with forced change, sessions by address and revoking one, on a
    real PostgreSQL (substr on the token hash, the boolean's server default)."""
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)
    try:
        users.add_user(engine, SYSTEM, username="root-admin", role="admin", password=PASSWORD)
        admin = auth.user_for_session(engine, auth.authenticate(engine, "root-admin", PASSWORD))
        users.add_user(
            engine, admin, username="pat", role="viewer", password=PASSWORD, email="p@x.io"
        )
        temporary = users.reset_password(engine, admin, "pat")
        token = auth.authenticate(engine, "pat", temporary, address="192.0.2.5")
        pat = auth.user_for_session(engine, token)
        assert pat.must_change_password
        auth.change_password(
            engine, pat, current=temporary, new="pat-picks-this-one", keep_token=token
        )
        assert not auth.user_for_session(engine, token).must_change_password
        [seen] = users.list_sessions(engine, admin, "pat")
        assert seen.address == "192.0.2.5"
        assert users.revoke_session(engine, admin, seen.session_id) == "pat"
        with pytest.raises(AuthenticationError, match="revoked"):
            auth.user_for_session(engine, token)
        users.deactivate_user(engine, admin, "pat")
        users.reactivate_user(engine, admin, "pat")
        assert auth.authenticate(engine, "pat", "pat-picks-this-one")
    finally:
        engine.dispose()


def test_the_migration_keeps_existing_users_signing_in(database_url: str) -> None:
    """Users made before migration 0008 have no email and need no password change."""
    url = database_url
    db.upgrade(url, "0007")
    engine = db.connect(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, role, password_hash, failed_logins, created_at,"
                " updated_at) VALUES ('old', 'viewer', :hash, 0, '2026-01-01', '2026-01-01')"
            ),
            {"hash": auth.hash_password(PASSWORD)},
        )
    db.upgrade(url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT email, must_change_password FROM users")).one()
    assert tuple(row) == (None, 0)
    actor = auth.user_for_session(engine, auth.authenticate(engine, "old", PASSWORD))
    assert not actor.must_change_password
    command.downgrade(db._alembic_config(url), "0007")
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("users")}
    assert "email" not in columns and "must_change_password" not in columns
    engine.dispose()
