"""A real browser: a manager puts a product in a slot with the Planogram editor, saves a version
with a changeover order, then uploads a corpus DEX file that shows on the Machine page after a
materialize.

Expected values are read independently: the operational database (sqlite3) for the version and
the order, ``tests/evadts/corpus_facts.py`` (read off the file by hand) for the upload's serial.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from operations.schema import utcnow
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
from tests.evadts.corpus_facts import FACTS
from tests.orchestration.pipeline import cvd_process
from tests.platform_home import USERS, PlatformHome

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "dex-corpus"
CORPUS_FILE = "jeremybrice__cvd__Crane_National_187.txt"


def _choose(page: Page, scope: object, label: str, option: str) -> None:
    box = scope.get_by_test_id("stSelectbox").filter(has_text=label)  # type: ignore[attr-defined]  # a Locator
    box.click()
    page.keyboard.type(option)  # the list is virtual: only a filtered option is sure to render
    page.get_by_role("option", name=re.compile(rf"^{re.escape(option)}( |$)")).first.click()
    settle(page)


def _first_cabinet(home: PlatformHome) -> tuple[int, str, str, int, str]:
    """The editor's first cabinet (by asset number), a small product it does not hold, the
    version in force and the slot to put it in (the last free one; a full cabinet: the last
    slot it holds, swapped)."""
    with sqlite3.connect(home.home / "cvd.sqlite") as con:
        cabinet, asset, rows, columns = con.execute(
            "SELECT c.id, d.asset_number, c.rows, c.columns FROM cabinets c"
            " JOIN devices d ON d.id = c.device_id"
            " WHERE c.deleted_at IS NULL ORDER BY d.asset_number, c.cabinet_index LIMIT 1"
        ).fetchone()
        held = {
            slot
            for (slot,) in con.execute(
                "SELECT s.slot FROM planogram_slots s JOIN planogram_versions v"
                " ON v.id = s.version_id WHERE v.cabinet_id = ? AND v.is_active",
                (cabinet,),
            )
        }
        (product,) = con.execute(
            "SELECT code FROM products WHERE size = 'S' AND deleted_at IS NULL AND id NOT IN"
            " (SELECT s.product_id FROM planogram_slots s JOIN planogram_versions v"
            "  ON v.id = s.version_id WHERE v.cabinet_id = ? AND v.is_active) ORDER BY code",
            (cabinet,),
        ).fetchone()
        (version,) = con.execute(
            "SELECT version FROM planogram_versions WHERE cabinet_id = ? AND is_active", (cabinet,)
        ).fetchone()
    grid = [f"{chr(65 + r)}{c + 1}" for r in range(rows) for c in range(columns)]
    free = [s for s in grid if s not in held]
    return cabinet, asset, product, version, (free or sorted(held))[-1]


def test_manager_edits_a_slot_saves_with_changeover_and_uploads_dex(
    browser_home: PlatformHome, app_url: str, browser: Browser, screenshots: Path
) -> None:
    corpus_file = CORPUS / CORPUS_FILE
    if not corpus_file.is_file():
        pytest.skip(f"{corpus_file} is absent (the shared DEX corpus)")
    home = browser_home
    cabinet, asset, product, version, slot = _first_cabinet(home)
    with on_screen(browser, DESKTOP, screenshots / "FAILED-manager.png") as page:
        sign_in(page, app_url, *USERS["manager"])
        open_page(page, "Planogram editor", "planogram-editor")
        shot(page, screenshots, "01-editor")
        quick = page.get_by_test_id("stForm").filter(has_text="Put a product in a slot")
        _choose(page, quick, "Slot", slot)
        _choose(page, quick, "Product", product)
        quick.get_by_role("button", name="Put in slot").click()
        settle(page)
        expect(page.get_by_text("Changes against version")).to_be_visible(timeout=WAIT_MS)
        shot(page, screenshots, "02-changed")
        save = page.get_by_test_id("stForm").filter(has_text="Effective date")
        save.get_by_role("button", name="Save new version").click()
        message = wait_success(page, rf"Saved version {version + 1} of {re.escape(asset)}")
        shot(page, screenshots, "03-saved")

        open_page(page, "Upload DEX", "upload-dex")
        page.locator("input[type=file]").set_input_files(str(corpus_file))
        settle(page)
        go = page.get_by_test_id("stBaseButton-primary").filter(has_text="Upload files")
        expect(go).to_be_enabled(timeout=WAIT_MS)
        go.click()
        wait_success(page, r"1 new file\(s\) received")
        verdict = page.get_by_test_id("stDataFrame").last
        expect(verdict).to_contain_text("loaded", timeout=WAIT_MS)
        shot(page, screenshots, "04-uploaded")

    serial, reads = FACTS[CORPUS_FILE][0].serial, len(FACTS[CORPUS_FILE])
    tomorrow = utcnow().date() + timedelta(days=1)
    with sqlite3.connect(home.home / "cvd.sqlite") as con:
        saved = con.execute(
            "SELECT v.version, v.effective_date, s.slot, p.code FROM planogram_versions v"
            " JOIN planogram_slots s ON s.version_id = v.id JOIN products p ON p.id = s.product_id"
            " WHERE v.cabinet_id = ? AND v.is_active AND s.slot = ?",
            (cabinet, slot),
        ).fetchone()
        order = con.execute(
            "SELECT o.id, o.order_type, o.planned_date, i.slot FROM service_orders o"
            " JOIN service_order_cabinets c ON c.order_id = o.id"
            " JOIN service_order_items i ON i.order_cabinet_id = c.id"
            " WHERE c.cabinet_id = ? ORDER BY o.id DESC LIMIT 1",
            (cabinet,),
        ).fetchone()
    assert saved == (version + 1, tomorrow.isoformat(), slot, product)
    assert order[1:] == ("changeover", tomorrow.isoformat(), slot)
    assert f"changeover order #{order[0]}" in message

    done = cvd_process("materialize", "--home", str(home.home))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with on_screen(browser, DESKTOP, screenshots / "FAILED-machine.png") as page:
        sign_in(page, app_url, *USERS["manager"])
        open_page(page, "Machine", "machine")
        machine = page.get_by_test_id("stSelectbox").filter(has_text="Machine")
        machine.click()
        page.keyboard.type(str(serial))
        page.get_by_role("option", name=re.compile(re.escape(str(serial)))).first.click()
        settle(page)
        # the machine's own paragraph names its serial; the reads table counts the file's read
        expect(page.get_by_text(re.compile(rf"serial {serial} at"))).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text(re.compile(rf"^{reads} reads; "))).to_be_visible(timeout=WAIT_MS)
        shot(page, screenshots, "05-machine")
