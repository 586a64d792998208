"""Admin page, API tokens section: admins see and revoke tokens; managers do not see it."""

from __future__ import annotations

from sqlalchemy import text

from operations import db as operations_db
from operations.permissions import SYSTEM
from operations.services import tokens
from tests.dashboards.conftest import PlatformHome, assert_clean, open_app, texts


def _rows(home: PlatformHome, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = operations_db.connect(home.database_url)
    try:
        with engine.connect() as con:
            return [tuple(row) for row in con.execute(text(sql))]
    finally:
        engine.dispose()


def test_admin_lists_and_revokes_tokens_manager_does_not_see_them(
    platform_home: PlatformHome,
) -> None:
    engine = operations_db.connect(platform_home.database_url)
    try:
        _, secret = tokens.add_token(engine, SYSTEM, name="page-erp", scope="read")
    finally:
        engine.dispose()
    app = open_app(platform_home, "admin", "app_pages/admin.py")
    assert_clean(app)
    table = next(f.value for f in app.dataframe if "Scope" in f.value.columns)
    row = table[table["Name"] == "page-erp"].iloc[0]
    assert (row["Scope"], row["State"], row["Created by"]) == ("read", "active", "system")
    assert secret not in texts(app) and secret not in table.to_string()

    app.selectbox(key="revoke_token_name").select("page-erp")
    next(b for b in app.button if b.label == "Revoke token").click()
    app.run()
    assert "Tick the confirmation" in texts(app)
    assert _rows(platform_home, "SELECT revoked_at FROM api_tokens WHERE name = 'page-erp'") == [
        (None,)
    ]
    app.checkbox(key="revoke_token_confirm").check()
    next(b for b in app.button if b.label == "Revoke token").click()
    app.run()
    assert "Token page-erp revoked." in texts(app)
    assert _rows(platform_home, "SELECT revoked_by FROM api_tokens WHERE name = 'page-erp'") == [
        ("ada",)
    ]
    assert _rows(
        platform_home,
        "SELECT actor, action FROM audit_log WHERE entity = 'api_token' "
        "AND entity_key = 'page-erp' ORDER BY id",
    ) == [("system", "create"), ("ada", "revoke")]

    manager = open_app(platform_home, "manager", "app_pages/admin.py")
    assert_clean(manager)
    assert "API tokens" not in texts(manager)
