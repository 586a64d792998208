"""The small materialized demo home the dashboard and browser tests share, with users per role.

The home is built once per session: `cvd demo-data` (8 machines x 45 days, seed 11), then our
own edits so the tests have something to tell apart: a second route ``R002`` driven by
``driver02`` holding machines A00005-A00008 (routes.csv/devices.csv), and one inbox file with a
damaged byte (quarantined: CRC mismatch). Then the real `cvd import master-data` and
`cvd materialize`, and one user per role.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from operations import auth
from operations import db as operations_db
from operations.permissions import SYSTEM
from operations.services.users import add_user
from tests.orchestration.pipeline import cvd

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
SECOND_ROUTE_ASSETS = ("A00005", "A00006", "A00007", "A00008")
USERS = {  # role -> (user name, password)
    "admin": ("ada", "admin-password-1"),
    "manager": ("max", "manager-password-1"),
    "driver": ("driver01", "driver-password-1"),  # the driver of route R001 in the demo data
    "viewer": ("vera", "viewer-password-1"),
}
OTHER_DRIVER = ("driver02", "driver-password-2")  # drives R002 (our edit)


@dataclass(frozen=True)
class PlatformHome:
    """The built home: its path, database URL and the DEX serials per route."""

    home: Path
    database_url: str
    route_serials: dict[str, set[str]]
    damaged_file: str

    @property
    def warehouse(self) -> Path:
        """The home's warehouse file."""
        return self.home / "warehouse.duckdb"


def _second_route(master: Path) -> dict[str, set[str]]:
    routes = master / "routes.csv"
    with routes.open("a", newline="") as handle:
        csv.writer(handle).writerow(["R002", "Route 2", OTHER_DRIVER[0]])
    devices = master / "devices.csv"
    with devices.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    serials: dict[str, set[str]] = {}
    for row in rows:
        if row["asset_number"] in SECOND_ROUTE_ASSETS:
            row["route_id"] = "R002"
        serials.setdefault(row["route_id"], set()).add(row["dex_serial"])
    with devices.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return serials


def _damage_one_file(inbox: Path) -> str:
    """Change one sales digit of the first inbox file that has a CRC, so its CRC fails."""
    for path in sorted(inbox.rglob("*.dex")):
        raw = path.read_bytes()
        if b"G85*" not in raw or b"\nPA2*" not in raw:
            continue
        start = raw.index(b"\nPA2*") + 5
        digit = raw[start : start + 1]
        replacement = b"1" if digit != b"1" else b"2"
        path.write_bytes(raw[:start] + replacement + raw[start + 1 :])
        return path.name
    raise AssertionError("no demo file with a CRC and a PA2 line to damage")


@pytest.fixture(scope="session")
def platform_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformHome]:
    """A materialized 8-machine demo home with users per role; CVD_HOME etc. point at it."""
    home = tmp_path_factory.mktemp("dashboards") / "home"
    auth.use_fast_hashing_for_tests()
    assert (
        cvd("demo-data", "--machines", "8", "--days", "45", "--seed", "11", "--home", str(home))
        == 0
    )
    route_serials = _second_route(home / "master-data")
    damaged = _damage_one_file(home / "inbox")
    url = f"sqlite:///{home / 'cvd.sqlite'}"
    # the environment is set per test by `platform_env`: what building the home sets (the CLI sets
    # DAGSTER_HOME too) is undone on leaving, never left behind for other folders
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CVD_HOME", str(home))
        env.setenv("CVD_DATABASE_URL", url)
        env.setenv("DAGSTER_HOME", str(home / "dagster"))
        assert cvd("db", "upgrade", "--home", str(home)) == 0
        assert cvd("import", "master-data", "--home", str(home)) == 0
        assert cvd("materialize", "--home", str(home)) == 0
        engine = operations_db.connect(url)
        for username, password in [*USERS.values()]:
            role = next(r for r, (u, _) in USERS.items() if u == username)
            add_user(engine, SYSTEM, username=username, role=role, password=password)
        add_user(engine, SYSTEM, username=OTHER_DRIVER[0], role="driver", password=OTHER_DRIVER[1])
        engine.dispose()
    yield PlatformHome(home, url, route_serials, damaged)


@pytest.fixture(autouse=True)
def platform_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test using the shared home (or the dashboards' writable copy of it): CVD_HOME,
    CVD_DATABASE_URL and DAGSTER_HOME point at it for that test only."""
    if "actions_home" in request.fixturenames:
        target = request.getfixturevalue("actions_home")
        home, url = target.home, target.database_url
    elif "platform_home" in request.fixturenames:
        target = request.getfixturevalue("platform_home")
        home, url = target.home, target.database_url
    else:
        return
    monkeypatch.setenv("CVD_HOME", str(home))
    monkeypatch.setenv("CVD_DATABASE_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
