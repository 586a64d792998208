"""Passwords, lockout and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ops_world import PASSWORD, World, table_contents
from sqlalchemy import select

from operations import auth
from operations.errors import AuthenticationError, ValidationError
from operations.permissions import Actor
from operations.schema import AuditEntry, User, utcnow
from operations.services import users


def test_sign_in_gives_a_session_for_the_user(world: World) -> None:
    token = auth.authenticate(world.engine, "dave", PASSWORD)
    actor = auth.user_for_session(world.engine, token)
    assert (actor.username, actor.role) == ("dave", "driver")
    assert actor == world.actors["dave"]


def test_password_is_stored_as_argon2id_only(world: World) -> None:
    with world.engine.connect() as connection:
        stored = connection.execute(
            select(User.password_hash).where(User.username == "vic")
        ).scalar_one()
        audit_text = " ".join(
            (row.after or "") + (row.before or "") for row in connection.execute(select(AuditEntry))
        )
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert "$argon2" not in audit_text
    assert PASSWORD not in audit_text


def test_wrong_password_and_unknown_user_read_the_same(world: World) -> None:
    with pytest.raises(AuthenticationError) as wrong:
        auth.authenticate(world.engine, "dave", "not-the-password")
    with pytest.raises(AuthenticationError) as unknown:
        auth.authenticate(world.engine, "nobody", "not-the-password")
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"


def test_lockout_after_five_failures_then_released(world: World) -> None:
    start = utcnow()
    for attempt in range(5):
        with pytest.raises(AuthenticationError, match=r"^wrong user name or password$"):
            auth.authenticate(world.engine, "vic", f"guess-{attempt}", now=start)
    # even the right password is refused while locked (15 minutes), with the same message
    with pytest.raises(AuthenticationError, match=r"^wrong user name or password$"):
        auth.authenticate(world.engine, "vic", PASSWORD, now=start + timedelta(minutes=14))
    token = auth.authenticate(world.engine, "vic", PASSWORD, now=start + timedelta(minutes=16))
    assert (
        auth.user_for_session(world.engine, token, now=start + timedelta(minutes=17)).username
        == "vic"
    )
    actions = [e[4] for e in table_contents(world.engine)["audit_log"]]
    assert actions.count("login_failed") == 6  # five wrong passwords, one refused while locked
    assert actions.count("lockout") == 1


def test_sessions_expire_and_can_be_revoked(world: World) -> None:
    start = utcnow()
    token = auth.authenticate(world.engine, "max", PASSWORD, now=start)
    assert (
        auth.user_for_session(world.engine, token, now=start + timedelta(hours=11)).role
        == "manager"
    )
    with pytest.raises(AuthenticationError, match="expired"):
        auth.user_for_session(world.engine, token, now=start + timedelta(hours=12, seconds=1))
    second = auth.authenticate(world.engine, "max", PASSWORD)
    auth.logout(world.engine, second)
    with pytest.raises(AuthenticationError, match="revoked"):
        auth.user_for_session(world.engine, second)
    with pytest.raises(AuthenticationError, match="unknown"):
        auth.user_for_session(world.engine, "made-up-token")


def test_deactivated_user_loses_sessions_and_sign_in(world: World) -> None:
    token = auth.authenticate(world.engine, "erin", PASSWORD)
    users.deactivate_user(world.engine, world.actors["ann"], "erin", reassign_to="dave")
    with pytest.raises(AuthenticationError):
        auth.user_for_session(world.engine, token)
    with pytest.raises(AuthenticationError):
        auth.authenticate(world.engine, "erin", PASSWORD)


BAD_USERS = {
    "unknown role": ({"role": "root"}, "role"),
    "injection in name": ({"username": "bob'; DROP TABLE users; --"}, "username"),
    "upper case name": ({"username": "Bob"}, "username"),
    "taken name": ({"username": "dave"}, "username"),
    "short password": ({"password": "short"}, "password"),
    "password wrong type": ({"password": 1234567890}, "password"),
    "11 characters": ({"password": "x7#Lp2!vQ9z"}, "password"),
    "common password": ({"password": "password1234"}, "password"),
    "keyboard walk, other case": ({"password": "QwertyuiOP12"}, "password"),
    "password is the name": (
        {"username": "bob-the-builder", "password": "Bob-The-Builder"},
        "password",
    ),
    "email without domain": ({"email": "bob@"}, "email"),
    "email with markup": ({"email": "<b>@example.com"}, "email"),
}


@pytest.mark.parametrize("case", BAD_USERS, ids=list(BAD_USERS))
def test_bad_new_users_are_refused(case: str, world: World, unchanged: None) -> None:
    overrides, field = BAD_USERS[case]
    new = {"username": "bob", "role": "viewer", "password": "long-enough-pw"} | overrides
    with pytest.raises(ValidationError) as refused:
        users.add_user(world.engine, world.actors["ann"], **new)
    assert refused.value.field == field
    assert "long-enough" not in str(refused.value)


def test_role_change_takes_effect_on_next_lookup(world: World) -> None:
    token = auth.authenticate(world.engine, "vic", PASSWORD)
    users.set_role(world.engine, world.actors["ann"], "vic", "manager")
    assert auth.user_for_session(world.engine, token) == Actor(
        "vic", "manager", world.actors["vic"].user_id
    )
