"""`cvd up` on a fresh home: demo data, master data, a materialized warehouse, demo accounts once;
then the Dagster UI, the dashboards and the HTTP API served together and stopped together."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from operations import db
from operations.auth import authenticate

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

UP = (sys.executable, "-m", "orchestration", "up")
SERVE_EXITED_BY_ITSELF = 3  # documented in orchestration/cli/serve.py
PASSWORD_ROW = re.compile(r"│\s*([a-z0-9._-]+)\s*│\s*(admin|manager|driver|viewer)\s*│\s*(\S+)\s*│")
# What a careless environment might set to move the servers off the loopback.
HOSTILE_HOSTS = {
    "DAGSTER_WEBSERVER_HOST": "0.0.0.0",
    "DAGIT_HOST": "0.0.0.0",
    "STREAMLIT_SERVER_ADDRESS": "0.0.0.0",
}
LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it
SERVER_LINE = re.compile(
    r"^(Dagster UI|dashboards|API): (http://\S+)\s+\(pid (\d+)\)", re.MULTILINE
)
HEALTH = {"API": "/healthz"}  # the API answers 404 at its root


@dataclass(frozen=True)
class Run:
    code: int
    output: str


def _env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(home)}


def _up(home: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run(
        [*UP, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=_env(home) | (env or {}),
    )
    return Run(proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Run]:
    """A fresh home after `cvd up --no-serve` twice (the second run finds everything there)."""
    home = tmp_path_factory.mktemp("up-home")
    first = _up(home, "--no-serve", "--machines", "3", "--days", "5")
    assert first.code == 0, first.output[-3000:]
    second = _up(home, "--no-serve")
    assert second.code == 0, second.output[-3000:]
    return home, first, second


def test_up_on_a_fresh_home_builds_the_warehouse_from_demo_data(
    fresh: tuple[Path, Run, Run],
) -> None:
    home, _, _ = fresh
    with sqlite3.connect(home / "cvd.sqlite") as con:
        (devices,) = con.execute("select count(*) from devices").fetchone()
    assert devices == 3  # the demo fleet, imported as master data
    wh = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        (reads,) = wh.execute("select count(*) from dex_reads").fetchone()
        (placed,) = wh.execute(
            "select count(*) from dex_reads r join devices d on d.dex_serial = r.machine_serial "
            "where d.location_id is not null"
        ).fetchone()
    finally:
        wh.close()
    assert reads > 0 and placed == reads  # every read belongs to a placed demo machine
    assert not any((home / "inbox").iterdir())


def test_up_brings_the_demos_cash_collections_in_once(fresh: tuple[Path, Run, Run]) -> None:
    """`cvd up` imports the demo's collections.csv (the drivers' counts) like its master data;
    the second `cvd up` finds them there and imports nothing again."""
    home, _, _ = fresh
    with (home / "master-data" / "collections.csv").open(newline="") as handle:
        counted = sorted(
            (r["serial"], round(float(r["counted"]) * 100)) for r in csv.DictReader(handle)
        )
    assert counted  # the demo collected cash
    with sqlite3.connect(home / "cvd.sqlite") as con:
        stored = sorted(
            con.execute(
                "select d.dex_serial, c.counted_cents from cash_collections c "
                "join devices d on d.id = c.device_id"
            ).fetchall()
        )
    assert stored == counted
    wh = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        (rows,) = wh.execute("select count(*) from fct_cash_collections").fetchone()
    finally:
        wh.close()
    assert rows == len(counted)


def test_up_creates_the_demo_accounts_once_with_working_passwords_never_stored(
    fresh: tuple[Path, Run, Run],
) -> None:
    home, first, second = fresh
    with (home / "master-data" / "routes.csv").open(newline="") as f:
        drivers = {row["driver"] for row in csv.DictReader(f)}
    printed = {m[0]: (m[1], m[2]) for m in PASSWORD_ROW.findall(first.output)}
    expected = {"admin": "admin", "manager": "manager", "viewer": "viewer"}
    expected |= dict.fromkeys(drivers, "driver")
    assert {name: role for name, (role, _) in printed.items()} == expected

    engine = db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
    try:
        for name, (_, password) in printed.items():
            assert authenticate(engine, name, password)  # the printed password signs in
    finally:
        engine.dispose()
    stored = b"".join(p.read_bytes() for p in home.glob("cvd.sqlite*"))
    for _, password in printed.values():
        assert password.encode() not in stored  # only hashes reach the database

    assert PASSWORD_ROW.findall(second.output) == []  # the second run prints no password
    with sqlite3.connect(home / "cvd.sqlite") as con:
        (users,) = con.execute("select count(*) from users").fetchone()
    assert users == len(expected)


def test_up_prints_the_database_url_with_its_password_masked(tmp_path: Path) -> None:
    secret = "hunter2-not-for-terminals"
    url = f"postgresql+psycopg://cvd:{secret}@127.0.0.1:{_free_port()}/cvd"
    run = _up(tmp_path / "home", "--no-serve", env={"CVD_DATABASE_URL": url})
    assert "postgresql+psycopg://cvd:***@127.0.0.1:" in run.output  # which database, still
    assert secret not in run.output


def test_up_creates_the_home_owner_only(fresh: tuple[Path, Run, Run]) -> None:
    home, _, _ = fresh
    database = sorted(home.glob("cvd.sqlite*"))
    assert database  # the database, and its WAL files when they exist
    for path in database:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    folders = [p for p in home.rglob("*") if p.is_dir()]
    assert {"dagster", "lake", "inbox", "archive", "master-data"} <= {p.name for p in folders}
    for folder in folders:  # nothing below the home is reachable by other users
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, folder
    for path in (home / "warehouse.duckdb", home / "dagster" / "dagster.yaml"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except (urllib.error.URLError, OSError):
        return None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Serving:
    proc: subprocess.Popen[bytes]
    log: Path
    servers: dict[str, tuple[str, int]]  # name -> (url, process group id)


@contextmanager
def _serving(home: Path, tmp_path: Path, *extra: str) -> Iterator[Serving]:
    """`cvd up` (with ``extra`` options) serving on free ports, once all three answer HTTP 200."""
    log = tmp_path / "up.log"
    ports = [str(_free_port()), str(_free_port()), str(_free_port())]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *UP,
                "--home",
                str(home),
                "--port",
                ports[0],
                "--dashboard-port",
                ports[1],
                "--api-port",
                ports[2],
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(home) | HOSTILE_HOSTS,
        )
    servers: dict[str, tuple[str, int]] = {}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            found = SERVER_LINE.findall(log.read_text())
            servers = {name: (url, int(pid)) for name, url, pid in found}
            if len(servers) == 3 and all(
                _status(url + HEALTH.get(name, "")) == 200 for name, (url, _) in servers.items()
            ):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"servers not answering: {log.read_text()[-3000:]}")
        yield Serving(proc, log, servers)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


@pytest.fixture
def serving(fresh: tuple[Path, Run, Run], tmp_path: Path) -> Iterator[Serving]:
    """`cvd up` serving on free ports of the loopback, once all three answer HTTP 200."""
    with _serving(fresh[0], tmp_path) as up:
        ports = [url.rsplit(":", 1)[1] for url, _ in up.servers.values()]
        assert {url for url, _ in up.servers.values()} == {f"http://127.0.0.1:{p}" for p in ports}
        yield up


def _listening_hosts(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) listening on TCP ``port``."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            host, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                hosts.add(host)
    return hosts


def _group_command_lines(pgid: int) -> list[list[str]]:
    lines = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            group = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            if group == pgid:
                lines.append((proc / "cmdline").read_bytes().decode().split("\0"))
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return lines


def test_up_serves_every_server_on_the_loopback_and_ctrl_c_stops_them_all(
    serving: Serving,
) -> None:
    """Whatever the environment says, Dagster, the dashboards and the API listen on the loopback
    only (one `cvd up` start serves both halves of this test: each start materializes)."""
    for name, (url, _) in serving.servers.items():
        port = int(url.rsplit(":", 1)[1])
        assert _listening_hosts(port) == {LOOPBACK_HEX}, name  # not 0.0.0.0 (00000000)
    _, dagster_group = serving.servers["Dagster UI"]
    webservers = [c for c in _group_command_lines(dagster_group) if "dagster_webserver" in c]
    assert webservers, "no dagster-webserver process in the Dagster UI's group"
    for argv in webservers:
        assert argv[argv.index("--host") + 1] == "127.0.0.1", argv
    output = serving.log.read_text()
    assert "the Dagster UI has no sign-in" in output  # said where the URL is printed

    serving.proc.send_signal(signal.SIGINT)
    assert serving.proc.wait(timeout=60) == 0, serving.log.read_text()[-3000:]
    for name, (url, pgid) in serving.servers.items():
        assert not _group_alive(pgid), f"{name} still running"
        assert _status(url + HEALTH.get(name, "")) is None, f"{name} still answering"


def test_up_host_moves_the_dashboards_and_the_api_never_the_dagster_ui_and_when_one_dies_stops_all(
    fresh: tuple[Path, Run, Run], tmp_path: Path
) -> None:
    """`--host 0.0.0.0` moves the dashboards and the API, never the Dagster UI, with a warning;
    then, on the same start (each start materializes), one server dying stops the others and
    `cvd up` exits non-zero."""
    with _serving(fresh[0], tmp_path, "--host", "0.0.0.0") as up:
        dashboards_url, dashboards_group = up.servers["dashboards"]
        dagster_url, _ = up.servers["Dagster UI"]
        api_url, _ = up.servers["API"]
        assert _listening_hosts(int(dashboards_url.rsplit(":", 1)[1])) == {"00000000"}
        assert _listening_hosts(int(api_url.rsplit(":", 1)[1])) == {"00000000"}
        assert _listening_hosts(int(dagster_url.rsplit(":", 1)[1])) == {LOOPBACK_HEX}
        output = up.log.read_text()
        assert "the dashboards listen on 0.0.0.0, beyond this machine" in output
        assert "TLS proxy of docs/deploy.md" in output

        os.killpg(dashboards_group, signal.SIGKILL)
        code = up.proc.wait(timeout=60)
        assert code == SERVE_EXITED_BY_ITSELF
        log = up.log.read_text()
        assert "dashboards exited with code -9: stopping Dagster UI, API" in log
        for name in ("Dagster UI", "API"):
            url, group = up.servers[name]
            assert not _group_alive(group), name
            assert _status(url + HEALTH.get(name, "")) is None, name


def test_up_host_refuses_what_is_not_an_address(tmp_path: Path) -> None:
    run = _up(tmp_path, "--host", "phones.example", "--no-serve")
    assert run.code == 2
    assert "'phones.example' is not an IP address" in run.output
    assert not (tmp_path / "cvd.sqlite").exists()  # refused before anything was set up
