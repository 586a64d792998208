"""The Streamlit options `cvd up` passes (from `.streamlit/config.toml`) apply whatever the
working directory: Chromium against the dashboards' exact command line, started from an empty
folder, with the app swapped for one that shows an uploader and then fails with SQL in its error.
The browser must see no error details, a 25 MB upload limit and no Deploy button.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from orchestration.cli.serve import DASHBOARD_APP, dashboard_server, stop_all

CHROMIUM = Path("/usr/bin/chromium")
SECRET = "select password_hash from users"
FAILING_APP = f"""
import streamlit as st
st.file_uploader("DEX file")
raise RuntimeError({SECRET!r})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def test_dashboards_show_no_error_details_small_uploads_and_no_deploy_button(
    tmp_path: Path,
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`.ci/run` installs Debian's chromium)")
    app = tmp_path / "failing_app.py"
    app.write_text(FAILING_APP)
    server = dashboard_server(_free_port())
    argv = [str(app) if arg == str(DASHBOARD_APP) else arg for arg in server.argv]
    assert str(app) in argv
    elsewhere = tmp_path / "elsewhere"  # no .streamlit/ here: the options come from the flags
    elsewhere.mkdir()
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=elsewhere, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(server.url):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "streamlit did not answer within 60 s"
            time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page()
                page.goto(server.url)
                error = page.get_by_test_id("stException")
                expect(error).to_have_count(1, timeout=60_000)
                expect(page.get_by_text("25MB per file", exact=True)).to_be_visible()
                assert SECRET not in page.content()
                assert "RuntimeError" not in error.inner_text()
                assert "redacted" in error.inner_text()
                expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
            finally:
                browser.close()
        assert SECRET in log.read_text()  # the details went to the server's log instead
    finally:
        stop_all([proc], grace_seconds=10)
