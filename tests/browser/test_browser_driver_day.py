"""A real browser through the driver's day on a phone: navigation links and access notes, a
photo upload, a changed quantity, a note and a problem report; then the page is reloaded (the
connection dropped, the session lost) and everything entered is still there, and the problem
opened a follow-up order for the office.

Chromium (Debian's, headless, a 390×844 phone screen) against a real `streamlit run
dashboards/app.py` over a copy of the demo home; the order is made through the service layer
beforehand, as the office would, and the operational database is read directly afterwards.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from datetime import date
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from operations import db
from operations.permissions import SYSTEM
from operations.services import masterdata, orders
from tests.browser.test_browser_flow import PHONE, WAIT_MS, on_screen, settle, shot, sign_in
from tests.images import png
from tests.platform_home import USERS, PlatformHome

ACCESS = "Code *4711* at the [side] door"  # Markdown characters that must show literally
PHOTO = png(64, 48)


def _order_for_today(home: PlatformHome) -> tuple[int, int, float, float]:
    """A scheduled order on R001 for today with two slots of one cabinet; its location gets
    access notes. Returns (order id, cabinet id, latitude, longitude)."""
    with sqlite3.connect(home.home / "cvd.sqlite") as con:
        rows = con.execute(
            "SELECT c.id, s.slot, s.par_level, l.code, l.name, l.address, l.latitude,"
            " l.longitude, l.traffic FROM cabinets c JOIN devices d ON d.id = c.device_id"
            " JOIN routes r ON r.id = d.route_id JOIN locations l ON l.id = d.location_id"
            " JOIN planogram_versions v ON v.cabinet_id = c.id AND v.is_active"
            " JOIN planogram_slots s ON s.version_id = v.id WHERE r.code = 'R001'"
            " ORDER BY c.id, s.id LIMIT 2"
        ).fetchall()
    cabinet, _, _, code, name, address, lat, lon, traffic = rows[0]
    engine = db.connect(home.database_url)
    try:
        masterdata.save_location(
            engine,
            SYSTEM,
            code=code,
            name=name,
            address=address,
            latitude=lat,
            longitude=lon,
            traffic=traffic,
            access_notes=ACCESS,
        )
        order = orders.create_order(
            engine,
            SYSTEM,
            route_code="R001",
            planned_date=date.today(),
            cabinets={cabinet: [orders.ItemSpec(slot, max(par, 1)) for _, slot, par, *_ in rows]},
        )
        orders.schedule_order(engine, SYSTEM, order.id)
    finally:
        engine.dispose()
    return order.id, cabinet, lat, lon


def _success(page: Page, pattern: str) -> None:
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(has_text=re.compile(pattern))
    ).to_be_visible(timeout=WAIT_MS)
    settle(page)


def _record(page: Page, order_id: int, shots: Path) -> None:
    """Start the order, upload a before photo, change a quantity, write a note, report."""
    page.get_by_role("button", name=f"Start order #{order_id}").click()
    _success(page, rf"Order #{order_id} started")
    page.get_by_test_id("stFileUploader").first.locator('input[type="file"]').set_input_files(
        {"name": "before.png", "mimeType": "image/png", "buffer": PHOTO}
    )
    settle(page)
    page.get_by_role("button", name="Save before photo").click()
    _success(page, "Before photo saved")
    box = page.get_by_test_id("stNumberInput").first.locator("input")
    box.fill("1")
    box.press("Tab")
    settle(page)
    note = page.get_by_role("textbox", name="Note").first
    note.fill("Left door sticks")
    note.press("Enter")
    settle(page)
    shot(page, shots, "driver-day-01-recorded")
    page.get_by_text("Report a problem").first.click()
    page.get_by_test_id("stRadio").filter(has_text="Problem").get_by_text(
        "coin mechanism jammed"
    ).click()
    settle(page)
    what = page.get_by_role("textbox", name="What happened").first
    what.fill("Coins stuck")
    what.press("Tab")
    settle(page)
    page.get_by_role("button", name="Report problem").first.click()
    _success(page, r"follow-up order #\d+ is with the office")
    shot(page, shots, "driver-day-02-problem-reported")


def _wait_for_saved_note(home: PlatformHome, order_id: int, note: str) -> None:
    """Poll the operational database until an entry of ``order_id`` holds ``note`` (30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(home.home / "cvd.sqlite") as con:
            notes = con.execute(
                "SELECT e.note FROM order_cabinet_entries e JOIN service_order_cabinets c"
                " ON c.id = e.order_cabinet_id WHERE c.order_id = ?",
                (order_id,),
            ).fetchall()
        if (note,) in notes:
            return
        time.sleep(0.25)
    raise AssertionError(f"the note {note!r} of order {order_id} never reached the server")


def test_the_drivers_day_on_a_phone_keeps_what_was_entered(
    browser_home: PlatformHome, app_url: str, browser: Browser, screenshots: Path
) -> None:
    order_id, cabinet, lat, lon = _order_for_today(browser_home)
    with on_screen(browser, PHONE, screenshots / "FAILED-driver-day.png") as page:
        sign_in(page, app_url, *USERS["driver"])
        expect(page.get_by_text(ACCESS, exact=False)).to_be_visible(timeout=WAIT_MS)
        geo = page.locator('a[href^="geo:"]').first
        assert geo.get_attribute("href") == f"geo:{lat:.6f},{lon:.6f}"
        osm = page.locator('a[href^="https://www.openstreetmap.org/"]').first
        assert f"mlat={lat:.6f}&mlon={lon:.6f}" in (osm.get_attribute("href") or "")
        _record(page, order_id, screenshots)
        # the note is committed by Enter; its save runs in the rerun that Enter starts, which
        # the page's spinner does not always cover: wait until the server holds it, then drop
        _wait_for_saved_note(browser_home, order_id, "Left door sticks")

        page.reload()  # the connection drops: the Streamlit session and its state are gone
        sign_in(page, app_url, *USERS["driver"])
        expect(page.get_by_test_id("stNumberInput").first.locator("input")).to_have_value("1")
        expect(page.get_by_role("textbox", name="Note").first).to_have_value("Left door sticks")
        expect(
            page.get_by_text(re.compile(r"Problem reported: coin mechanism jammed"))
        ).to_be_visible()
        expect(page.get_by_test_id("stImage").first).to_be_visible()  # the thumbnail
        shot(page, screenshots, "driver-day-03-after-reload")

    sha = hashlib.sha256(PHOTO).hexdigest()
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        photos = con.execute(
            "SELECT cabinet_id, kind, sha256, file_type, uploaded_by FROM order_photos"
            " WHERE order_id = ?",
            (order_id,),
        ).fetchall()
        entry = con.execute(
            "SELECT e.delivered, e.note, e.exception_kind, e.follow_up_order_id"
            " FROM order_cabinet_entries e JOIN service_order_cabinets c"
            " ON c.id = e.order_cabinet_id WHERE c.order_id = ? AND c.cabinet_id = ?",
            (order_id, cabinet),
        ).fetchone()
        follow_up = con.execute(
            "SELECT o.status, o.driver_username, o.note, c.cabinet_id FROM service_orders o"
            " JOIN service_order_cabinets c ON c.order_id = o.id WHERE o.id = ?",
            (entry[3],),
        ).fetchall()
    driver = USERS["driver"][0]
    assert photos == [(cabinet, "before", sha, "png", driver)]
    assert (browser_home.home / "photos" / sha[:2] / f"{sha}.png").read_bytes() == PHOTO
    assert 1 in json.loads(entry[0]).values()
    assert entry[1:3] == ("Left door sticks", "coin_jammed")
    assert follow_up == [
        (
            "draft",
            driver,
            f"Follow-up of order #{order_id}: coin mechanism jammed at cabinet {cabinet}:"
            " Coins stuck",
            cabinet,
        )
    ]
