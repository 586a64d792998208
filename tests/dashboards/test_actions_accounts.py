"""Accounts on the dashboards (a writable copy of the demo home): a reset password opens only
the change-password page until it is changed; deactivation asks for the driver who takes the
open orders over; reactivation; admins see a session's address and revoke it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from operations import auth
from operations.permissions import SYSTEM
from operations.services import orders, users
from tests.dashboards.actions_home import (  # noqa: F401
    APP,
    ActionsHome,
    actions_home_fixture,
    open_as,
)
from tests.dashboards.conftest import assert_clean, texts

ADMIN = "app_pages/admin.py"


def _one(home: ActionsHome, sql: str) -> object:
    with home.engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def _click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click()
    return app.run()


def _change(app: AppTest, current: str, new: str, again: str | None = None) -> AppTest:
    app.text_input(key="current_password").input(current)
    app.text_input(key="new_password_1").input(new)
    app.text_input(key="new_password_2").input(new if again is None else again)
    return _click(app, "Change password")


def test_a_reset_password_must_be_changed_first(actions_home: ActionsHome) -> None:
    users.add_user(
        actions_home.engine, SYSTEM, username="resetme", role="viewer", password="first-secret-99"
    )
    admin = open_as(actions_home, "admin", ADMIN)
    admin.selectbox(key="reset_user").select("resetme")
    admin = _click(admin, "Reset password")
    assert_clean(admin)
    assert "Temporary password for resetme" in texts(admin)
    temporary = admin.code[0].value
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["cvd_token"] = auth.authenticate(actions_home.engine, "resetme", temporary)
    app.run()
    assert_clean(app)
    assert "Your password was reset by an admin" in texts(app)
    assert not app.dataframe  # no other page rendered, and none to switch to
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("app_pages/overview.py")
    app = _change(app, "not-the-temporary-one", "a-fresh-secret-42")
    assert "Password not changed: the current password is wrong" in texts(app)
    app = _change(app, temporary, "a-fresh-secret-42", "a-fresh-secret-43")
    assert "The new passwords differ." in texts(app)
    app = _change(app, temporary, "qwertyuiop12")
    assert "Password not changed: is on the list of common passwords" in texts(app)
    assert _one(actions_home, "SELECT must_change_password FROM users WHERE username = 'resetme'")
    app = _change(app, temporary, "a-fresh-secret-42")
    assert_clean(app)
    assert "Password changed." in texts(app)
    assert "Your password was reset" not in texts(app)  # the viewer's landing page instead
    assert not _one(
        actions_home, "SELECT must_change_password FROM users WHERE username = 'resetme'"
    )
    assert auth.authenticate(actions_home.engine, "resetme", "a-fresh-secret-42")


def _open_order_for(home: ActionsHome, driver: str) -> int:
    """A draft order on route R002 handed to ``driver`` (through the services)."""
    with home.engine.connect() as connection:
        cabinet, slot = connection.execute(
            text(
                "SELECT c.id, s.slot FROM cabinets c JOIN devices d ON d.id = c.device_id"
                " JOIN routes r ON r.id = d.route_id"
                " JOIN planogram_versions v ON v.cabinet_id = c.id AND v.is_active"
                " JOIN planogram_slots s ON s.version_id = v.id"
                " WHERE r.code = 'R002' ORDER BY c.id, s.slot LIMIT 1"
            )
        ).one()
    order = orders.create_order(
        home.engine,
        SYSTEM,
        route_code="R002",
        planned_date="2026-12-30",
        cabinets={cabinet: [orders.ItemSpec(slot, 1)]},
    )
    orders.reassign_order(home.engine, SYSTEM, order.id, driver=driver)
    return order.id


def test_deactivation_hands_open_orders_over_then_reactivation(actions_home: ActionsHome) -> None:
    users.add_user(
        actions_home.engine, SYSTEM, username="leaver", role="driver", password="leaving-soon-77"
    )
    order_id = _open_order_for(actions_home, "leaver")
    app = open_as(actions_home, "admin", ADMIN)
    app.selectbox(key="deactivate_user").select("leaver")
    app.checkbox(key="deactivate_confirm").check()
    app = _click(app, "Deactivate")
    shown = texts(app).replace("\\", "")  # as rendered: without Markdown escapes
    assert f"leaver holds 1 open orders ({order_id})" in shown
    assert _one(actions_home, "SELECT deleted_at IS NULL FROM users WHERE username = 'leaver'")
    app.selectbox(key="deactivate_user").select("leaver")
    app.selectbox(key="deactivate_reassign_to").select("driver02")
    app.checkbox(key="deactivate_confirm").check()
    app = _click(app, "Deactivate")
    assert_clean(app)
    assert f"leaver deactivated. Orders {order_id} now with driver02." in texts(app)
    assert (
        _one(actions_home, f"SELECT driver_username FROM service_orders WHERE id = {order_id}")
        == "driver02"
    )
    app.selectbox(key="reactivate_user").select("leaver")
    app = _click(app, "Reactivate")
    assert "leaver reactivated." in texts(app)
    assert auth.authenticate(actions_home.engine, "leaver", "leaving-soon-77")


def test_admin_sees_sessions_and_revokes_one(actions_home: ActionsHome) -> None:
    users.add_user(
        actions_home.engine, SYSTEM, username="roamer", role="viewer", password="roaming-far-88"
    )
    token = auth.authenticate(
        actions_home.engine, "roamer", "roaming-far-88", address="198.51.100.20"
    )
    app = open_as(actions_home, "admin", ADMIN)
    sessions = next(d.value for d in app.dataframe if "Session" in d.value.columns)
    mine = sessions[sessions["User name"] == "roamer"]
    assert list(mine["Address"]) == ["198.51.100.20"]
    app.selectbox(key="revoke_session_id").select(mine["Session"].iloc[0])
    app = _click(app, "Revoke session")
    assert_clean(app)
    assert "of roamer revoked." in texts(app)
    alerts = app.dataframe[-1].value  # the sign-in alerts close the page
    assert ("revoke_session", "roamer") in set(
        zip(alerts["Event"], alerts["User name"], strict=True)
    )
    roamer = AppTest.from_file(str(APP), default_timeout=60)
    roamer.session_state["cvd_token"] = token
    roamer.run()
    assert "Please sign in again (session revoked)" in texts(roamer)
