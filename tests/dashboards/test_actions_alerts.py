"""The Alerts page (AppTest): live alerts per role (a driver: their routes' only), acknowledge
and resolve through the service layer (who and when, audited), subscriptions, escaped data.

The alerts on the page are the ones `cvd materialize` raised in the demo home (its damaged file
fails its CRC; no nightly run ever succeeded there) plus the ones raised here as the system.
"""

from __future__ import annotations

from sqlalchemy import text

from operations.permissions import SYSTEM
from operations.services import alerts
from operations.services.alerts import Finding
from tests.dashboards.actions_home import (  # noqa: F401
    ActionsHome,
    actions_home_fixture,
    open_as,
)
from tests.dashboards.conftest import assert_clean, texts

PAGE = "app_pages/alerts.py"
EVIL = "x`![t](http://e.invalid/p.png)`y **bold** :red[red]"


def _db(home: ActionsHome, sql: str) -> list[tuple[object, ...]]:
    with home.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def _shown_ids(app) -> list[int]:  # type: ignore[no-untyped-def]
    frame = app.dataframe[0].value
    return sorted(int(i) for i in frame["ID"])


def test_manager_sees_every_live_alert_and_acknowledges_one(actions_home: ActionsHome) -> None:
    raised, _ = alerts.raise_or_refresh(
        actions_home.engine, SYSTEM, Finding("silent_machine", EVIL, f"msg {EVIL}", route="R002")
    )
    app = open_as(actions_home, "manager", PAGE)
    assert_clean(app)
    assert app.title[0].value == "Alerts"
    live = _db(actions_home, "SELECT id FROM alerts WHERE state <> 'resolved' ORDER BY id")
    assert _shown_ids(app) == [row[0] for row in live]
    assert ("crc_failures",) in _db(actions_home, "SELECT rule FROM alerts")  # from materialize
    assert "![" not in texts(app).replace("\\!\\[", "")  # nothing the data holds became Markdown
    app.selectbox(key="alert_id").select(raised.id)
    next(b for b in app.button if b.label == "Acknowledge").click()
    app.run()
    assert_clean(app)
    assert _db(
        actions_home, f"SELECT state, acknowledged_by FROM alerts WHERE id = {raised.id}"
    ) == [("acknowledged", "max")]
    assert _db(
        actions_home,
        f"SELECT actor FROM audit_log WHERE entity = 'alert' AND entity_key = '{raised.id}'"
        " AND action = 'acknowledge'",
    ) == [("max",)]


def test_driver_sees_and_resolves_only_their_routes_alerts(actions_home: ActionsHome) -> None:
    mine, _ = alerts.raise_or_refresh(
        actions_home.engine, SYSTEM, Finding("core_sold_out", "M-1 11", "out", route="R001")
    )
    alerts.raise_or_refresh(
        actions_home.engine, SYSTEM, Finding("core_sold_out", "M-5 11", "out", route="R002")
    )
    app = open_as(actions_home, "driver", PAGE)  # driver01 drives R001
    assert_clean(app)
    expected = _db(
        actions_home,
        "SELECT id FROM alerts WHERE state <> 'resolved' AND route_code = 'R001' ORDER BY id",
    )
    assert _shown_ids(app) == [row[0] for row in expected]
    assert mine.id in _shown_ids(app)
    app.selectbox(key="alert_id").select(mine.id)
    next(b for b in app.button if b.label == "Resolve").click()
    app.run()
    assert_clean(app)
    assert _db(actions_home, f"SELECT state, resolved_by FROM alerts WHERE id = {mine.id}") == [
        ("resolved", "driver01")
    ]


def test_subscribe_with_a_good_and_a_bad_address(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "driver", PAGE)
    for email in ("bad\r\nBcc: x@y.org", "driver01@example.com"):
        app.selectbox(key="sub_kind").select("route")
        app.text_input(key="sub_target").input("R001")
        app.selectbox(key="sub_delivery").select("digest")
        app.text_input(key="sub_email").input(email)
        next(b for b in app.button if b.label == "Subscribe").click()
        app = app.run()
        assert_clean(app)
    assert _db(
        actions_home,
        "SELECT s.kind, s.target, s.delivery, s.email FROM alert_subscriptions s"
        " JOIN users u ON u.id = s.user_id WHERE u.username = 'driver01'",
    ) == [("route", "R001", "digest", "driver01@example.com")]


def test_viewer_has_no_alerts_page(actions_home: ActionsHome) -> None:
    app = open_as(actions_home, "viewer", "app_pages/overview.py")
    assert_clean(app)
    try:
        app.switch_page(PAGE)
    except ValueError as error:
        assert "Could not find a navigation page" in str(error)
    else:
        raise AssertionError("the viewer's menu has the Alerts page")
