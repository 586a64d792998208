"""A real browser through the whole morning: the manager plans, the driver completes on a phone.

Chromium (Debian's, headless) against a real `streamlit run dashboards/app.py` over the demo
home: the manager signs in, opens every page of the menu (a screenshot each), creates service
orders from route R001's visit plan and schedules them, signs out; R001's driver signs in on a
phone-sized screen, starts an order, records what was delivered (one quantity changed from the
plan) and completes it. Then the operational database and its audit log are read directly.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboards.pages import pages_for
from tests.platform_home import USERS, PlatformHome

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

ROUTE = "R001"  # driven by USERS["driver"] in the demo home
WAIT_MS = 60_000
MAX_SHOT_HEIGHT = 6000
DESKTOP: dict[str, Any] = {"viewport": {"width": 1400, "height": 1000}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current run and no element is stale."""
    expect(
        page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    ).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=WAIT_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def shot(page: Page, folder: Path, name: str) -> None:
    """A screenshot of the whole page (the test's artifact) once the page has settled.

    Streamlit scrolls inside its main container, so the window is made as tall as that
    container's content for the picture (at most ``MAX_SHOT_HEIGHT``), then put back.
    """
    settle(page)
    size = page.viewport_size
    content = page.evaluate(
        "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(content, size["height"]), MAX_SHOT_HEIGHT)}
    )
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    """Fill in and submit the sign-in form; wait for the signed-in sidebar or landing page."""
    page.goto(url)
    expect(page.get_by_text("Sign in to CVD")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Sign in to CVD")).to_have_count(0, timeout=WAIT_MS)
    settle(page)


def open_page(page: Page, title: str, url_path: str, *, landing: bool = False) -> None:
    """Click the page's link in the sidebar menu (unfolded first when long) and wait for it
    to render.

    The landing page (the role's first) lives at the app's root URL.
    """
    nav = page.get_by_test_id("stSidebarNav")
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))  # a long menu shows its first ten
    if more.count():
        more.click()
    nav.get_by_role("link", name=title, exact=True).click()
    path = "" if landing else re.escape(url_path)
    page.wait_for_url(re.compile(rf"^https?://[^/]+/{path}/?$"), timeout=WAIT_MS)
    settle(page)


def success(page: Page, pattern: str) -> str:
    """The text of the success message matching ``pattern`` (waited for)."""
    message = page.get_by_test_id("stAlertContentSuccess").filter(has_text=re.compile(pattern))
    expect(message).to_be_visible(timeout=WAIT_MS)
    return message.inner_text()


def manager_creates_and_schedules_orders(page: Page, url: str, shots: Path) -> str:
    """Every manager page (screenshots), then orders from R001's plan, scheduled. The plan day."""
    sign_in(page, url, *USERS["manager"])
    for number, spec in enumerate(pages_for("manager"), start=1):
        open_page(page, spec.title, spec.url_path, landing=number == 1)
        shot(page, shots, f"manager-{number:02d}-{spec.url_path}")

    open_page(page, "Visit plan & orders", "visit-plan")
    route = page.get_by_test_id("stSelectbox").filter(has_text="Route")
    if ROUTE not in route.inner_text():
        route.click()
        page.get_by_role("option", name=re.compile(ROUTE)).click()
        settle(page)
    create = page.get_by_role("button", name=re.compile(rf"Create service orders for {ROUTE} on"))
    plan_day = re.search(r"\d{4}-\d{2}-\d{2}", create.inner_text()).group(0)
    shot(page, shots, "manager-visit-plan-before-orders")
    create.click()
    created = success(page, r"Created \d+ service orders")
    assert not created.startswith("Created 0 "), created
    shot(page, shots, "manager-visit-plan-orders-created")

    page.get_by_role("tab", name="Service orders").click()
    page.get_by_role("button", name="Schedule selected orders").click()
    success(page, r"Scheduled orders")
    page.get_by_role("tab", name="Service orders").click()
    shot(page, shots, "manager-orders-scheduled")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Sign in to CVD")).to_be_visible(timeout=WAIT_MS)
    shot(page, shots, "manager-signed-out")
    return plan_day


def driver_completes_one_order(page: Page, url: str, shots: Path) -> tuple[int, str, int]:
    """On the phone: start the first order, lower one delivered quantity, complete.

    Returns the order id, the changed input's label and the quantity entered there.
    """
    sign_in(page, url, *USERS["driver"])
    expect(page.get_by_role("heading", name="My orders")).to_be_visible(timeout=WAIT_MS)
    shot(page, shots, "driver-01-my-orders")
    start = page.get_by_role("button", name=re.compile(r"Start order #\d+")).first
    order_id = int(re.search(r"#(\d+)", start.inner_text()).group(1))
    start.click()
    success(page, rf"Order #{order_id} started")
    shot(page, shots, "driver-02-order-started")

    first = page.get_by_test_id("stNumberInput").first
    label = first.get_by_test_id("stWidgetLabel").inner_text().strip()
    box = first.locator("input")
    planned = int(box.input_value())
    delivered = max(planned - 1, 0)
    box.fill(str(delivered))
    box.press("Tab")  # saved on the server as it is entered
    shot(page, shots, "driver-03-delivered-recorded")
    page.get_by_role("button", name=f"Complete order #{order_id}").click()
    success(page, rf"Order #{order_id} completed")
    shot(page, shots, "driver-04-order-completed")
    return order_id, label, delivered


@contextmanager
def on_screen(browser: Browser, device: dict[str, Any], failure_shot: Path) -> Iterator[Page]:
    """A page in a fresh browser context; if the flow fails, the screen as it was is kept."""
    context = browser.new_context(**device)
    page = context.new_page()
    try:
        yield page
    except Exception:
        page.screenshot(path=str(failure_shot), full_page=True)
        raise
    finally:
        context.close()


def test_manager_plans_and_a_driver_completes_an_order_on_a_phone(
    browser_home: PlatformHome, app_url: str, browser: Browser, screenshots: Path
) -> None:
    with on_screen(browser, DESKTOP, screenshots / "FAILED-manager.png") as page:
        plan_day = manager_creates_and_schedules_orders(page, app_url, screenshots)
    with on_screen(browser, PHONE, screenshots / "FAILED-driver.png") as page:
        order_id, label, delivered = driver_completes_one_order(page, app_url, screenshots)

    driver, manager = USERS["driver"][0], USERS["manager"][0]
    slot = next(part for part in label.split(" · ") if re.fullmatch(r"[A-Z]{1,2}\d{1,2}", part))
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        status, who, day, route = con.execute(
            "SELECT o.status, o.completed_by, o.planned_date, r.code FROM service_orders o "
            "JOIN routes r ON r.id = o.route_id WHERE o.id = ?",
            (order_id,),
        ).fetchone()
        items = con.execute(
            "SELECT i.slot, i.quantity_planned, i.quantity_delivered FROM service_order_items i "
            "JOIN service_order_cabinets c ON c.id = i.order_cabinet_id WHERE c.order_id = ? "
            "ORDER BY c.id, i.id",
            (order_id,),
        ).fetchall()
        audit = con.execute(
            "SELECT action, actor, after FROM audit_log "
            "WHERE entity = 'service_order' AND entity_key = ? ORDER BY id",
            (str(order_id),),
        ).fetchall()
        created_on_route = con.execute(
            "SELECT count(*) FROM service_orders o JOIN routes r ON r.id = o.route_id "
            "WHERE r.code = ? AND o.planned_date = ? AND o.created_by = ?",
            (ROUTE, plan_day, manager),
        ).fetchone()[0]

    assert (status, who, str(day), route) == ("completed", driver, plan_day, ROUTE)
    assert created_on_route >= 1
    # The first input on the form is the first item of the order: changed to `delivered`;
    # every other item kept its pre-filled planned quantity.
    assert items[0][0] == slot and items[0][2] == delivered
    assert all(d == p for _, p, d in items[1:])
    assert [(a, actor) for a, actor, _ in audit] == [
        ("create", manager),
        ("order.schedule", manager),
        ("order.start", driver),
        ("order.complete", driver),
    ]
    completed = json.loads(audit[-1][2])
    assert completed["status"] == "completed"
    assert [i["delivered"] for i in completed["items"]] == [d for _, _, d in items]
