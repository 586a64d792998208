"""Data the pages show is escaped: Markdown on the Machine and driver pages, formulas in the CSV
downloads and `cvd sql --csv`.

The home is a copy of the shared demo home whose master data a hostile operator edited: R001's
first machine gets the DEX serial ``x`![t](http://e.invalid/p.png)`y`` (the parser and the
validation accept it), its location a name and an address carrying image and link syntax, and
the first product the name ``=HYPERLINK(...)``. Then the real `cvd import master-data` and
`cvd materialize`, and one order for R001's driver at that machine.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from operations import db as operations_db
from operations.permissions import SYSTEM
from operations.schema import Cabinet, Device
from operations.services import orders
from operations.services.orders import ItemSpec
from tests.dashboards.conftest import APP, PlatformHome, assert_clean, token_for
from tests.orchestration.pipeline import cvd

SERIAL = "x`![t](http://e.invalid/p.png)`y"
LOCATION = "Depot ![pixel](http://e.invalid/l.png)"
ADDRESS = "[click](http://e.invalid/a) **1 Main St**"
PRODUCT = '=HYPERLINK("http://e.invalid/?leak","Cola")'
# The same text as Markdown must show it, escaped by hand (CommonMark backslash escapes).
SERIAL_ESCAPED = r"x\`\!\[t\]\(http\://e.invalid/p.png\)\`y"
LOCATION_ESCAPED = r"Depot \!\[pixel\]\(http\://e.invalid/l.png\)"
ADDRESS_ESCAPED = r"\[click\]\(http\://e.invalid/a\) \*\*1 Main St\*\*"
# Image or link syntax whose brackets are not escaped: `![…](` or `](`.
LIVE_SYNTAX = re.compile(r"(?<!\\)\]\((?!\s)|(?<!\\)!(?<!\\)\[|https?://")  # or a bare URL


@dataclass(frozen=True)
class HostileHome:
    home: PlatformHome  # the copy, as the shared helpers take it
    asset: str
    product_id: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _rewrite(path: Path, key: str, changes: dict[str, dict[str, str]]) -> None:
    rows = _rows(path)
    for row in rows:
        row.update(changes.get(row[key], {}))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _first_cabinet(url: str, asset: str) -> int:
    engine = operations_db.connect(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    select(Cabinet.id)
                    .join(Device, Device.id == Cabinet.device_id)
                    .where(Device.asset_number == asset)
                    .order_by(Cabinet.cabinet_index)
                ).first()[0]
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def hostile_home(
    platform_home: PlatformHome, tmp_path_factory: pytest.TempPathFactory
) -> HostileHome:
    """A copy of the shared home with hostile master data, materialized; one scheduled order
    for R001's driver at the machine with the hostile serial."""
    home = tmp_path_factory.mktemp("hostile") / "home"
    shutil.copytree(platform_home.home, home)
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    master = home / "master-data"
    device = next(r for r in _rows(master / "devices.csv") if r["route_id"] == "R001")
    product = _rows(master / "products.csv")[0]["product_id"]
    _rewrite(
        master / "devices.csv", "asset_number", {device["asset_number"]: {"dex_serial": SERIAL}}
    )
    _rewrite(
        master / "locations.csv",
        "location_id",
        {device["location_id"]: {"name": LOCATION, "address": ADDRESS}},
    )
    _rewrite(master / "products.csv", "product_id", {product: {"name": PRODUCT}})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CVD_HOME", str(home))
        env.setenv("CVD_DATABASE_URL", url)
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        assert cvd("import", "master-data", "--home", str(home)) == 0
        assert cvd("materialize", "--home", str(home)) == 0
    engine = operations_db.connect(url)
    try:
        order = orders.create_order(
            engine,
            SYSTEM,
            route_code="R001",
            planned_date="2030-01-01",
            cabinets={_first_cabinet(url, device["asset_number"]): [ItemSpec("A1", 3)]},
        )
        orders.schedule_order(engine, SYSTEM, order.id)
    finally:
        engine.dispose()
    copy = PlatformHome(home, url, platform_home.route_serials, platform_home.damaged_file)
    return HostileHome(copy, device["asset_number"], product)


@pytest.fixture
def hostile(hostile_home: HostileHome, monkeypatch: pytest.MonkeyPatch) -> HostileHome:
    """The hostile home, with CVD_HOME and friends pointing at it for one test."""
    monkeypatch.setenv("CVD_HOME", str(hostile_home.home.home))
    monkeypatch.setenv("CVD_DATABASE_URL", hostile_home.home.database_url)
    monkeypatch.setenv("DAGSTER_HOME", str(hostile_home.home.home / "dagster"))
    return hostile_home


def _open(home: PlatformHome, role: str, page: str, **params: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.session_state["cvd_token"] = token_for(home, role)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page(page)
    app.run()
    assert_clean(app)
    return app


def _no_live_syntax(app: AppTest) -> None:
    for body in [str(m.value) for m in (*app.markdown, *app.caption)]:
        assert not LIVE_SYNTAX.search(body), body


def test_machine_page_escapes_serial_location_and_address(hostile: HostileHome) -> None:
    app = _open(hostile.home, "manager", "app_pages/machine.py", serial=SERIAL)
    identity = next(str(m.value) for m in app.markdown if "Telemetry:" in str(m.value))
    assert SERIAL_ESCAPED in identity
    assert LOCATION_ESCAPED in identity
    assert ADDRESS_ESCAPED in identity
    _no_live_syntax(app)


def test_driver_page_escapes_the_location_address_and_access_notes(
    hostile: HostileHome,
) -> None:
    with sqlite3.connect(hostile.home.home / "cvd.sqlite") as con:  # the notes as typed in
        con.execute("UPDATE locations SET access_notes = ? WHERE name = ?", (ADDRESS, LOCATION))
    app = _open(hostile.home, "driver", "app_pages/driver.py")
    app.selectbox(key="driver_day").set_value(date(2030, 1, 1)).run()
    assert_clean(app)
    place = next(str(m.value) for m in app.markdown if hostile.asset in str(m.value))
    assert LOCATION_ESCAPED in place
    assert ADDRESS_ESCAPED in place
    assert [str(i.value) for i in app.info] == [f"Access: {ADDRESS_ESCAPED}"]
    _no_live_syntax(app)


def _downloaded(app: AppTest, key: str) -> str:
    """What the download button ``key`` hands out. AppTest keeps the bytes in an in-memory
    media store it does not expose; the button names the file by its id."""
    button = next(b for b in app.get("download_button") if b.proto.id.endswith(key))
    file_id = button.proto.url.rsplit("/", 1)[1].split(".")[0]
    stores = [o for o in gc.get_objects() if isinstance(o, MemoryMediaFileStorage)]
    for store in stores:
        try:
            return store.get_file(file_id).content.decode()
        except MediaFileStorageError:
            continue
    raise AssertionError(f"no media store holds {file_id}")


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_sales_csv_download_neutralises_a_formula_product_name(hostile: HostileHome) -> None:
    app = _open(hostile.home, "manager", "app_pages/sales.py")
    app.selectbox(key="group_by").set_value("Product").run()
    assert_clean(app)
    cells = _cells(_downloaded(app, "download"))
    assert "'" + PRODUCT in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]


def test_pick_list_csv_downloads_neutralise_a_formula_product_name(hostile: HostileHome) -> None:
    app = _open(hostile.home, "manager", "app_pages/visit_plan.py")
    found = False
    for route in sorted(hostile.home.route_serials):
        app.selectbox(key="plan_route").set_value(route).run()
        for key in ("csv_picks", "csv_route"):
            cells = _cells(_downloaded(app, key))
            assert PRODUCT not in cells
            found |= "'" + PRODUCT in cells
            assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    assert found, "no pick list holds the hostile product"


def test_cvd_sql_csv_neutralises_formulas(hostile: HostileHome) -> None:
    query = (
        "SELECT product_id, name, -1 AS minus_one, '@SUM(1)' AS at, '+1' AS plus, "
        "chr(9) || '=1' AS tab FROM products ORDER BY product_id"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration",
            "sql",
            "--home",
            str(hostile.home.home),
            "--csv",
            query,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["product_id", "name", "minus_one", "at", "plus", "tab"]
    hostile_row = next(r for r in rows if r[0] == hostile.product_id)
    assert hostile_row == [hostile.product_id, "'" + PRODUCT, "-1", "'@SUM(1)", "'+1", "'\t=1"]
