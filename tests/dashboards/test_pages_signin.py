"""Sign-in gate, menus per role, sign-out, expiry and idle timeout (real sessions in SQLite)."""

from __future__ import annotations

import time

import pytest

from operations import auth
from operations import db as operations_db
from tests.dashboards.conftest import (
    USERS,
    PlatformHome,
    assert_clean,
    open_app,
    sign_in_with_form,
    texts,
)

EXPECTED_MENUS = {  # url paths of the pages each role gets (the issue: menus follow the role)
    "admin": {
        "overview",
        "machine",
        "sales",
        "stockouts",
        "data-quality",
        "alerts",
        "admin",
        "orders",
        "planogram-editor",
        "upload-dex",
    },
    "manager": {
        "overview",
        "machine",
        "sales",
        "stockouts",
        "data-quality",
        "alerts",
        "admin",
        "orders",
        "planogram-editor",
        "upload-dex",
    },
    "viewer": {"overview", "machine", "sales", "stockouts", "data-quality"},
    "driver": {"machine", "alerts", "upload-dex"},
}


def test_sign_in_form_good_and_bad(platform_home: PlatformHome) -> None:
    user, password = USERS["manager"]
    app = sign_in_with_form(user, "wrong-password-x")
    assert_clean(app)
    assert "Sign-in failed: wrong user name or password" in texts(app)
    assert "cvd_token" not in app.session_state
    for bad_user, bad_password in [
        ("", ""),
        ("x" * 10_000, "p"),
        ("'; DROP TABLE users; --", "x"),
        ("<b>ü</b>", "🙂" * 10),
    ]:
        app = sign_in_with_form(bad_user, bad_password)
        assert_clean(app)
        assert "cvd_token" not in app.session_state
        assert app.error, bad_user[:20]
    app = sign_in_with_form(user, password)
    assert_clean(app)
    assert "cvd_token" in app.session_state
    assert f"**{user}** · manager" in texts(app)


def test_sign_out_revokes_the_session(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "viewer")
    token = app.session_state["cvd_token"]
    app.button(key="sign_out").click()
    app.run()
    assert_clean(app)
    assert "cvd_token" not in app.session_state
    assert "Sign in to CVD" in texts(app)
    engine = operations_db.connect(platform_home.database_url)
    try:
        try:
            auth.user_for_session(engine, token)
        except auth.AuthenticationError as error:
            assert "revoked" in str(error)
        else:
            raise AssertionError("the signed-out token still works")
    finally:
        engine.dispose()


def test_idle_session_is_signed_out(platform_home: PlatformHome) -> None:
    app = open_app(platform_home, "viewer")
    app.session_state["cvd_last_seen"] = time.time() - 31 * 60
    app.run()
    assert_clean(app)
    assert "cvd_token" not in app.session_state
    assert "Signed out after 30 minutes idle" in texts(app)


def test_unknown_token_is_refused(platform_home: PlatformHome) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.dashboards.conftest import APP

    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["cvd_token"] = "forged-token"
    app.run()
    assert_clean(app)
    assert "Please sign in again (unknown session)" in texts(app)


def test_menus_follow_the_role(platform_home: PlatformHome) -> None:
    all_pages = {
        "overview",
        "machine",
        "sales",
        "stockouts",
        "data-quality",
        "alerts",
        "admin",
        "orders",
        "planogram-editor",
        "upload-dex",
    }
    files = {
        "data-quality": "data_quality",
        "planogram-editor": "planogram_editor",
        "upload-dex": "upload_dex",
    }
    for role, expected in EXPECTED_MENUS.items():
        app = open_app(platform_home, role)
        assert_clean(app)
        for url in all_pages - expected:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app.switch_page(f"app_pages/{files.get(url, url)}.py")
