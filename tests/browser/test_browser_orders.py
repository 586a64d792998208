"""A real browser: a manager hands a departed driver's open orders to another driver.

Before the browser acts, R001's driver has two open orders (a draft and a scheduled one,
written through the service layer) and leaves (the account is deactivated). The manager
signs in, opens Orders, and on the Reassign tab hands every open order of the departed driver
to R002's driver. Then the operational database and its audit log are read directly.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Browser, Page

from operations import db as operations_db
from operations.permissions import operator
from operations.services import order_desk, orders, users
from operations.services.orders import ItemSpec
from tests.browser.test_browser_flow import DESKTOP, on_screen, open_page, settle, shot, sign_in
from tests.browser.test_browser_flow import success as wait_success
from tests.platform_home import OTHER_DRIVER, USERS, PlatformHome

LEAVING, TAKING_OVER = USERS["driver"][0], OTHER_DRIVER[0]


def _stuck_orders(home: PlatformHome) -> list[int]:
    """The driver of R001 leaves; then two orders are made for one of R001's machines."""
    engine = operations_db.connect(home.database_url)
    try:
        office = operator("test")
        with sqlite3.connect(home.home / "cvd.sqlite") as con:
            (asset,) = con.execute(
                "SELECT d.asset_number FROM devices d JOIN routes r ON r.id = d.route_id"
                " WHERE r.code = 'R001' ORDER BY d.asset_number LIMIT 1"
            ).fetchone()
        # the driver leaves (open orders handed over on the way out), but R001 still names them:
        # orders made for the route afterwards are the departed driver's, stuck until handed over
        users.deactivate_user(engine, office, LEAVING, reassign_to=TAKING_OVER)
        cabinets = order_desk.machine_cabinets(engine, office, [asset])
        proposal = order_desk.prefill(engine, office, cabinets[:1])[0]
        made = [
            order_desk.create_machine_order(
                engine,
                office,
                cabinets={proposal.cabinet_id: [ItemSpec(proposal.slot, 1)]},
                planned_date=day,
            ).id
            for day in ("2031-06-01", "2031-06-02")
        ]
        orders.schedule_order(engine, office, made[1])
        return made
    finally:
        engine.dispose()


def _hand_over(page: Page, url: str, shots: Path) -> str:
    sign_in(page, url, *USERS["manager"])
    open_page(page, "Orders", "orders")
    page.get_by_role("tab", name="Reassign").click()
    form = page.get_by_test_id("stForm").filter(has_text="All open orders of a driver")
    for label, value in (("From driver", LEAVING), ("To driver", TAKING_OVER)):
        box = form.get_by_test_id("stSelectbox").filter(has_text=label)
        if value not in box.inner_text():
            box.click()
            page.get_by_role("option", name=value, exact=True).click()
            settle(page)
    shot(page, shots, "manager-01-hand-over-chosen")
    form.get_by_role("button", name="Hand over all open orders").click()
    message = wait_success(page, rf"Handed \d+ open orders of {re.escape(LEAVING)} over")
    shot(page, shots, "manager-02-handed-over")
    return message


def test_manager_hands_a_departed_drivers_open_orders_to_another_driver(
    browser_home: PlatformHome, app_url: str, browser: Browser, screenshots: Path
) -> None:
    stuck = _stuck_orders(browser_home)
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        open_before = {
            row[0]
            for row in con.execute(
                "SELECT id FROM service_orders WHERE driver_username = ?"
                " AND status IN ('draft', 'scheduled', 'in_progress')",
                (LEAVING,),
            )
        }
    assert set(stuck) <= open_before
    with on_screen(browser, DESKTOP, screenshots / "FAILED-manager.png") as page:
        message = _hand_over(page, app_url, screenshots)
    assert f"Handed {len(open_before)} open orders" in message
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        left = con.execute(
            "SELECT count(*) FROM service_orders WHERE driver_username = ?"
            " AND status IN ('draft', 'scheduled', 'in_progress')",
            (LEAVING,),
        ).fetchone()[0]
        now = dict(
            con.execute(
                f"SELECT id, driver_username FROM service_orders WHERE id IN"
                f" ({', '.join('?' * len(open_before))})",
                sorted(open_before),
            ).fetchall()
        )
        audit = con.execute(
            "SELECT entity_key, actor FROM audit_log WHERE action = 'order.assign'"
        ).fetchall()
    assert left == 0
    assert now == dict.fromkeys(open_before, TAKING_OVER)
    assert {(str(i), USERS["manager"][0]) for i in open_before} <= set(audit)
