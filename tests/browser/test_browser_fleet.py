"""A real browser: a manager adds a product on the Products page and a machine with two
cabinets on the Machines page (three steps); a manager uploads a products CSV with a good and a
bad row on the Master-data files page. Then the operational database and its audit log are read
directly: the records, their values and who made them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_browser_flow import (
    DESKTOP,
    WAIT_MS,
    on_screen,
    open_page,
    settle,
    shot,
    sign_in,
)
from tests.browser.test_browser_flow import success as wait_success
from tests.platform_home import USERS, PlatformHome


def _fill(page: Page, label: str, value: str) -> None:
    page.get_by_role("textbox", name=label, exact=True).fill(value)


def _add_product(page: Page, shots: Path) -> str:
    open_page(page, "Products", "products")
    page.get_by_role("tab", name="Add a product").click()
    for label, value in (
        ("Product code", "BRW-1"),
        ("Name", "Browser Brew"),
        ("Category", "Drinks"),
        ("Price (e.g. 1.50)", "2.45"),
        ("Cost (e.g. 0.60)", "0.95"),
        ("Barcode (EAN/UPC, optional)", "96385074"),
    ):
        _fill(page, label, value)
    shot(page, shots, "manager-01-product-filled")
    page.get_by_role("button", name="Add product").click()
    message = wait_success(page, r"Added product BRW-1")
    shot(page, shots, "manager-02-product-added")
    return message


def _add_machine(page: Page, shots: Path) -> str:
    open_page(page, "Machines", "machines")
    page.get_by_role("tab", name="Add a machine").click()
    _fill(page, "Asset number", "BRW-M1")
    _fill(page, "DEX serial (ID101; empty if not known yet)", "BRWSERIAL01")
    _fill(page, "Model", "Browser 3000")
    page.get_by_role("button", name="Next: place").click()
    settle(page)
    page.get_by_role("button", name="Next: cabinets").click()
    settle(page)
    count = page.get_by_role("spinbutton", name="Cabinets", exact=True)
    count.fill("2")
    count.press("Enter")
    settle(page)
    shot(page, shots, "manager-03-cabinets")
    page.get_by_role("button", name="Add machine").click()
    message = wait_success(page, r"Added machine BRW-M1 with 2 cabinet")
    shot(page, shots, "manager-04-machine-added")
    return message


def test_manager_adds_a_product_and_a_machine(
    browser_home: PlatformHome, app_url: str, browser: Browser, screenshots: Path
) -> None:
    with on_screen(browser, DESKTOP, screenshots / "FAILED-manager.png") as page:
        sign_in(page, app_url, *USERS["manager"])
        _add_product(page, screenshots)
        _add_machine(page, screenshots)
    manager = USERS["manager"][0]
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        product = con.execute(
            "SELECT name, category, price_cents, cost_cents, barcode FROM products"
            " WHERE code = 'BRW-1'"
        ).fetchone()
        machine = con.execute(
            "SELECT d.dex_serial, d.model, count(c.id) FROM devices d"
            " JOIN cabinets c ON c.device_id = d.id WHERE d.asset_number = 'BRW-M1' GROUP BY 1, 2"
        ).fetchone()
        audit = set(
            con.execute(
                "SELECT entity, entity_key, actor FROM audit_log WHERE action = 'create'"
                " AND entity_key IN ('BRW-1', 'BRW-M1', 'BRW-M1/1', 'BRW-M1/2')"
            ).fetchall()
        )
    assert product == ("Browser Brew", "Drinks", 245, 95, "96385074")
    assert machine == ("BRWSERIAL01", "Browser 3000", 2)
    assert {("product", "BRW-1", manager), ("device", "BRW-M1", manager)} <= audit


# The upload: a header, one good row (line 2) and one whose size is not S, M or L (line 3).
PRODUCTS_CSV = (
    "product_id,name,category,price,cost,size\n"
    "CSV-GOOD,Uploaded Tea,Drinks,1.85,0.70,M\n"
    "CSV-BAD,Oversized Box,Snacks,2.10,0.80,XL\n"
)


def test_manager_uploads_a_products_file_with_a_good_and_a_bad_row(
    browser_home: PlatformHome,
    app_url: str,
    browser: Browser,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    upload = tmp_path / "products.csv"  # the name `cvd import master-data` reads
    upload.write_text(PRODUCTS_CSV)
    with on_screen(browser, DESKTOP, screenshots / "FAILED-master-files.png") as page:
        sign_in(page, app_url, *USERS["manager"])
        open_page(page, "Master-data files", "master-data-files")
        page.locator("input[type=file]").set_input_files(str(upload))
        settle(page)
        page.get_by_role("button", name="Import the files").click()
        settle(page)
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
            "1 row(s) were not imported", timeout=WAIT_MS
        )
        # the bad row's cells in the grid's table: file, line (the header is line 1), key,
        # outcome, field, and the reason quoting the bad value
        bad = page.get_by_test_id("stDataFrame").last.locator("tr").filter(has_text="CSV-BAD")
        expect(bad.locator("td")).to_have_text(
            ["products.csv", "3", "CSV-BAD", "rejected", "size", re.compile("XL")],
            timeout=WAIT_MS,
        )
        shot(page, screenshots, "master-files-01-report")
    with sqlite3.connect(browser_home.home / "cvd.sqlite") as con:
        rows = con.execute(
            "SELECT code, name, category, price_cents, cost_cents, size FROM products"
            " WHERE code IN ('CSV-GOOD', 'CSV-BAD')"
        ).fetchall()
        audit = con.execute(
            "SELECT actor FROM audit_log WHERE entity = 'product' AND entity_key = 'CSV-GOOD'"
            " AND action = 'create'"
        ).fetchall()
    assert rows == [("CSV-GOOD", "Uploaded Tea", "Drinks", 185, 70, "M")]
    assert audit == [(USERS["manager"][0],)]
