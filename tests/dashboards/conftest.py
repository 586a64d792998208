"""AppTest helpers for the dashboard tests; the shared home is ``tests/platform_home.py``'s."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from operations import auth
from operations import db as operations_db
from tests.platform_home import (
    APP,
    OTHER_DRIVER,
    SECOND_ROUTE_ASSETS,
    USERS,
    PlatformHome,
)

__all__ = ["APP", "OTHER_DRIVER", "SECOND_ROUTE_ASSETS", "USERS", "PlatformHome"]


def token_for(home: PlatformHome, role: str) -> str:
    """A fresh session token for the test user of ``role`` (signed in like the form does)."""
    username, password = USERS[role]
    engine = operations_db.connect(home.database_url)
    try:
        return auth.authenticate(engine, username, password)
    finally:
        engine.dispose()


def open_app(home: PlatformHome, role: str | None, page: str | None = None) -> AppTest:
    """The app signed in as ``role`` (None: signed out), on ``page`` (e.g. "app_pages/sales.py").

    Signs in by putting a real session token in session state, as the sign-in form does; the
    form itself is exercised in ``test_pages_signin.py``.
    """
    app = AppTest.from_file(str(APP), default_timeout=60)
    if role is not None:
        app.session_state["cvd_token"] = token_for(home, role)
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    return app


def sign_in_with_form(username: str, password: str) -> AppTest:
    """The app after filling in and submitting the sign-in form."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    app.text_input(key="sign_in_user").input(username)
    app.text_input(key="sign_in_password").input(password)
    app.button[0].click()
    app.run()
    return app


def texts(app: AppTest) -> str:
    """Every markdown, caption, title, header, metric and message on the page, as one string."""
    parts: list[str] = []
    for group in (
        app.markdown,
        app.caption,
        app.title,
        app.header,
        app.subheader,
        app.info,
        app.warning,
        app.error,
        app.success,
    ):
        parts.extend(str(element.value) for element in group)
    parts.extend(f"{m.label}: {m.value}" for m in app.metric)
    return "\n".join(parts)


def assert_clean(app: AppTest) -> None:
    """The run raised nothing."""
    assert not app.exception, [e.value for e in app.exception]
