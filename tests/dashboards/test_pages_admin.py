"""Admin page: users and roles through the service layer, audit log, bad input, forged calls."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from operations import auth
from operations import db as operations_db
from operations.errors import AuthenticationError, PermissionDenied
from operations.permissions import Actor
from operations.services import users
from tests.dashboards.conftest import PlatformHome, assert_clean, open_app, texts

BAD_NAMES = ["", "x" * 70, "zoë", "<script>alert(1)</script>", "a'; DROP TABLE users; --"]


def _table(home: PlatformHome, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = operations_db.connect(home.database_url)
    try:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(text(sql))]
    finally:
        engine.dispose()


def _add(app, username: str, password: str, role: str = "viewer"):  # type: ignore[no-untyped-def]
    app.text_input(key="new_username").input(username)
    app.selectbox(key="new_role").select(role)
    app.text_input(key="new_password").input(password)
    next(b for b in app.button if b.label == "Add user").click()
    return app.run()


def test_admin_adds_user_and_bad_input_changes_nothing(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "admin", "app_pages/admin.py")
    assert_clean(app)
    before = _table(platform_home, "SELECT username, role FROM users ORDER BY id")
    audit_before = _table(platform_home, "SELECT count(*) FROM audit_log")
    for name in BAD_NAMES:
        app = _add(app, name, "good-password-123")
        assert_clean(app)
        assert "User not added: username=" in texts(app), name[:20]
    for password in ["", "short", "🙂" * 2000]:
        app = _add(app, "newcomer", password)
        assert "User not added: password=" in texts(app)
    assert _table(platform_home, "SELECT username, role FROM users ORDER BY id") == before
    assert _table(platform_home, "SELECT count(*) FROM audit_log") == audit_before
    app = _add(app, "newcomer", "good-password-123", "driver")
    assert_clean(app)
    assert "Added newcomer as driver." in texts(app)
    assert _table(platform_home, "SELECT role FROM users WHERE username = 'newcomer'") == [
        ("driver",)
    ]
    assert _table(
        platform_home,
        "SELECT actor, action FROM audit_log WHERE entity = 'user' AND entity_key = 'newcomer'",
    ) == [("ada", "create")]
    app.selectbox(key="role_user").select("newcomer")
    app.selectbox(key="role_new").select("viewer")
    next(b for b in app.button if b.label == "Change role").click()
    app.run()
    assert "newcomer is now viewer." in texts(app)
    app.selectbox(key="deactivate_user").select("newcomer")
    next(b for b in app.button if b.label == "Deactivate").click()
    app.run()
    assert "Tick the confirmation" in texts(app)
    assert _table(
        platform_home, "SELECT deleted_at IS NULL FROM users WHERE username = 'newcomer'"
    ) == [(1,)]
    app.checkbox(key="deactivate_confirm").check()
    next(b for b in app.button if b.label == "Deactivate").click()
    app.run()
    assert "newcomer deactivated." in texts(app)
    assert _table(
        platform_home, "SELECT deleted_at IS NULL FROM users WHERE username = 'newcomer'"
    ) == [(0,)]


def test_audit_log_filters(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "manager", "app_pages/admin.py")
    assert_clean(app)
    assert "Users and roles are managed by admins." in texts(app)  # a manager: audit only
    app.text_input(key="audit_action").input("login")
    app.run()
    frame = app.dataframe[0].value
    assert len(frame) > 0 and all("login" in a for a in frame["Action"])
    app.text_input(key="audit_entity").input("'; DROP TABLE audit_log; --<b>ü</b>")
    app.run()
    assert_clean(app)
    assert app.dataframe[0].value.empty
    assert _table(platform_home, "SELECT count(*) > 0 FROM audit_log") == [(1,)]


def test_viewer_and_driver_cannot_manage_users(platform_home: PlatformHome) -> None:
    engine = operations_db.connect(platform_home.database_url)
    try:
        for actor in (
            Actor("vera", "viewer"),
            Actor("driver01", "driver"),
            Actor("max", "manager"),
        ):
            with pytest.raises(PermissionDenied):
                users.add_user(engine, actor, username="intruder", role="admin", password="x" * 12)
            with pytest.raises(PermissionDenied):
                users.set_role(engine, actor, "vera", "admin")
    finally:
        engine.dispose()
    assert _table(platform_home, "SELECT count(*) FROM users WHERE username = 'intruder'") == [(0,)]
    assert _table(platform_home, "SELECT role FROM users WHERE username = 'vera'") == [("viewer",)]


def test_admin_sees_a_lockout_and_unlocks_the_user(platform_home: PlatformHome) -> None:
    engine = operations_db.connect(platform_home.database_url)
    try:
        users.add_user(
            engine, Actor("ada", "admin"), username="lockme", role="viewer", password="right-pass-1"
        )
        for attempt in range(auth.MAX_FAILED_LOGINS):
            with pytest.raises(AuthenticationError):
                auth.authenticate(engine, "lockme", f"guess-{attempt}", address="203.0.113.77")
        with pytest.raises(AuthenticationError):  # locked from that address
            auth.authenticate(engine, "lockme", "right-pass-1", address="203.0.113.77")
        app = open_app(platform_home, "admin", "app_pages/admin.py")
        assert_clean(app)
        assert "Sign-in alerts:" in texts(app)
        alerts = app.dataframe[-1].value  # the sign-in alerts close the page
        seen = set(zip(alerts["Event"], alerts["User name"], alerts["Address"], strict=True))
        assert ("lockout", "lockme", "203.0.113.77") in seen
        app.selectbox(key="unlock_user").select("lockme")
        next(b for b in app.button if b.label == "Unlock").click()
        app.run()
        assert "lockme unlocked." in texts(app)
        assert auth.authenticate(engine, "lockme", "right-pass-1", address="203.0.113.77")
    finally:
        engine.dispose()
