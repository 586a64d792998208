"""A real Streamlit server over the shared demo home, and Debian's chromium driven by Playwright.

The home is a copy of ``tests/platform_home.py``'s ``platform_home`` (8 machines, two routes, one
user per role). Screenshots go to ``test-artifacts/screenshots/`` (git-ignored; CI keeps the
folder as the run's artifacts), the server's log beside them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.cli.serve import dashboard_server, stop_all
from tests.platform_home import PlatformHome

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


@pytest.fixture(scope="module")
def browser_home(
    platform_home: PlatformHome, tmp_path_factory: pytest.TempPathFactory
) -> PlatformHome:
    """A writable copy of the shared home: the orders the browser creates stay out of the
    other tests' home."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(platform_home.home, home)
    return dataclasses.replace(
        platform_home, home=home, database_url=f"sqlite:///{home / 'cvd.sqlite'}"
    )


@pytest.fixture(scope="module")
def app_url(browser_home: PlatformHome) -> Iterator[str]:
    """`streamlit run dashboards/app.py` on a free port over the demo home (as `cvd up` runs it)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`.ci/run` installs Debian's chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = dashboard_server(_free_port())
    env = {
        **os.environ,
        "CVD_HOME": str(browser_home.home),
        "CVD_DATABASE_URL": browser_home.database_url,
        "DAGSTER_HOME": str(browser_home.home / "dagster"),
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    with (ARTIFACTS / "streamlit.log").open("wb") as log:
        proc = subprocess.Popen(
            server.argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(server.url):
            assert proc.poll() is None, (ARTIFACTS / "streamlit.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "streamlit did not answer within 60 s"
            time.sleep(0.2)
        yield server.url
    finally:
        stop_all([proc], grace_seconds=10)


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[object]:
    """Headless chromium (Debian's), closed after the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, emptied first."""
    folder = SCREENSHOTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder
