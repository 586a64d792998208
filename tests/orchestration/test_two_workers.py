"""Two workers that share nothing but PostgreSQL and the object store build one warehouse.

Each worker is a real `cvd materialize` process with its own temporary home (its own inbox,
``CVD_HOME`` and local files); they share only the operational database, the archive's ledger
and Dagster's storage (one PostgreSQL server, ``tests/pg.py``) and the lake and the archive's
blobs (one bucket of a real S3 API server, ``tests/s3.py``). A simulated fleet's inbox is split
between them and both run at once; the warehouse must then hold exactly what one worker given
the whole inbox builds on its own. Then a worker is killed with SIGKILL part way through its
run and both run again: nothing may be lost or doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ingest.build_locks import PG_BUILD_LOCKS, build_locks, day_lock
from orchestration.settings import load_settings
from tests.orchestration.pipeline import copy_inbox, demo
from tests.orchestration.test_objectstore_demo import COMPARED, _rounded
from tests.pg import PostgresServer, count
from tests.s3 import S3Server
from transforms.catalog import open_warehouse

# About 4 minutes of CPU on a 2-core machine (seven `cvd materialize --no-models` processes, every
# object through the S3 server); `slow` puts it first in a pytest-xdist worker, beside the rest.
pytestmark = [pytest.mark.slow]

MACHINES, DAYS = 4, 10
RUN_TIMEOUT_S = 600
# the data only: the tables compared are the raw content and the marts, which the forecasts,
# recommendations and alerts do not change
MATERIALIZE = ("materialize", "--no-models")
FILES_SQL = "SELECT count(*), count(DISTINCT sha256) FROM dex_files"


@dataclass(frozen=True)
class Shared:
    """What the workers of one deployment share: databases and a bucket (their variables)."""

    env: dict[str, str]


def _shared(server: PostgresServer, s3: S3Server, bucket: str) -> Shared:
    ops, ledger, dagster = (server.create_database() for _ in range(3))
    dagster_url = make_url(dagster).set(drivername="postgresql+psycopg2")
    return Shared(
        {
            **s3.env(),
            "CVD_DATABASE_URL": ops,
            "CVD_LEDGER_URL": ledger,
            "CVD_DAGSTER_STORAGE_URL": dagster_url.render_as_string(hide_password=False),
            "CVD_LAKE_URL": f"s3://{bucket}/lake",
            "CVD_ARCHIVE_URL": f"s3://{bucket}/archive",
            "CVD_INGEST_WORKERS": "1",  # no local Dask cluster: the workers are the processes
        }
    )


def _environ(shared: Shared, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CVD_", "DAGSTER_", "AWS_"))}
    return {**env, **shared.env, "CVD_HOME": str(home)}


def _start(shared: Shared, home: Path, *args: str) -> subprocess.Popen[str]:
    """`cvd ARGS` as a worker process of its own (its own session: killed as a whole)."""
    log = (home.parent / f"{home.name}.log").open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration", *args, "--home", str(home)],
        env=_environ(shared, home),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen[str], home: Path) -> None:
    code = process.wait(timeout=RUN_TIMEOUT_S)
    log = (home.parent / f"{home.name}.log").read_text()
    assert code == 0, f"worker {home.name} exited with {code}:\n{log[-4000:]}"


def _run(shared: Shared, home: Path, *args: str) -> None:
    _finish(_start(shared, home, *args), home)


def _deploy(shared: Shared, master: Path) -> None:
    """Schema and master data in the shared operational database (once, by an operator)."""
    _run(shared, master, "db", "upgrade")
    _run(shared, master, "import", "master-data")


def _warehouse(shared: Shared, home: Path) -> dict[str, list[tuple[object, ...]]]:
    """The key tables as an analyst on ``home`` reads them (sorted rows)."""
    previous = dict(os.environ)
    os.environ.update(_environ(shared, home))
    try:
        settings = load_settings(home)
    finally:
        os.environ.clear()
        os.environ.update(previous)
    con = open_warehouse(settings.warehouse, settings.lake)
    try:
        tables = {
            name: [_rounded(row) for row in con.execute(sql).fetchall()]
            for name, sql in COMPARED.items()
        }
        tables["files"] = [tuple(r) for r in con.execute(FILES_SQL).fetchall()]
        return tables
    finally:
        con.close()


def _ledger_count(shared: Shared, sql: str) -> int:
    """One count from the ledger's database (0 while its tables do not exist yet)."""
    return count(shared.env["CVD_LEDGER_URL"], sql)


def _ledger_deliveries(shared: Shared) -> int:
    return _ledger_count(shared, "SELECT count(*) FROM deliveries")


def _lock_waiters(shared: Shared) -> int:
    """Sessions waiting for a build lock someone else holds."""
    return _ledger_count(
        shared,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        f" AND objsubid = 2 AND classid = {PG_BUILD_LOCKS}"  # the two-key form: a build lock
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )


def _split(source: Path, homes: list[Path]) -> None:
    """Deal the inbox's files out to the workers' inboxes in turn."""
    names = sorted(p.name for p in (source / "inbox").iterdir())
    for n, home in enumerate(homes):
        copy_inbox(source, home, names[n :: len(homes)])


def _deployment(
    server: PostgresServer, s3: S3Server, bucket: str, source: Path
) -> tuple[Shared, list[Path]]:
    """New shared databases and bucket, and two worker homes with half the inbox each."""
    s3.create_bucket(bucket)
    shared = _shared(server, s3, bucket)
    _deploy(shared, source)
    homes = [source.parent / f"{bucket.rsplit('-', 1)[1]}-{n}" for n in "ab"]
    _split(source, homes)
    return shared, homes


def _materialize_all(shared: Shared, homes: list[Path]) -> None:
    """`cvd materialize` in every home at once, each to its end."""
    workers = [_start(shared, home, *MATERIALIZE) for home in homes]
    for process, home in zip(workers, homes, strict=True):
        _finish(process, home)


def test_two_workers_build_what_one_builds_and_survive_a_kill(
    tmp_path: Path,
    postgres_server: PostgresServer,
    s3_server: S3Server,
    s3_bucket: str,
) -> None:
    source = tmp_path / "fleet"
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("CVD_")}
    try:
        demo(source, machines=MACHINES, days=DAYS)
    finally:
        os.environ.update(saved)
    files = len(list((source / "inbox").iterdir()))
    assert files > 10, "the simulated fleet delivered too few files to split"

    # one worker, the whole inbox: the reference
    alone = _shared(postgres_server, s3_server, s3_bucket)
    _deploy(alone, source)
    single = tmp_path / "single"
    copy_inbox(source, single)
    _run(alone, single, *MATERIALIZE)
    expected = _warehouse(alone, single)
    assert expected["files"] == [(files, files)], "every delivered file once, each its own bytes"
    assert expected["dex_content"], "the fleet's reads reached the warehouse"
    assert expected["fct_daily_sales"], "the sales marts were built"

    # two workers at once, half the inbox each, sharing only PostgreSQL and the bucket
    together, homes = _deployment(postgres_server, s3_server, f"{s3_bucket}-two", source)
    # the test holds the arrival day's build lock until both workers wait for it: a day is
    # built by one worker at a time (workers receive "today", the one arrival day here)
    today = datetime.now(UTC).date().isoformat()
    ledger_url = together.env["CVD_LEDGER_URL"]
    with build_locks(tmp_path, ledger_url, [day_lock(today)]):
        workers = [_start(together, home, *MATERIALIZE) for home in homes]
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while _lock_waiters(together) < len(homes):
            assert all(w.poll() is None for w in workers), "a worker built the day unlocked"
            assert time.monotonic() < deadline, "the workers never asked for the day's lock"
            time.sleep(0.2)
    for process, home in zip(workers, homes, strict=True):
        _finish(process, home)
    for home in homes:
        assert _warehouse(together, home) == expected, home.name

    # a worker killed with SIGKILL part way through its run, then both run again
    killed, homes = _deployment(postgres_server, s3_server, f"{s3_bucket}-kill", source)
    victim = _start(killed, homes[0], *MATERIALIZE)
    other = _start(killed, homes[1], *MATERIALIZE)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while _ledger_deliveries(killed) == 0 and victim.poll() is None:
        assert time.monotonic() < deadline, "no worker received a file"
        time.sleep(0.05)
    assert victim.poll() is None, "the worker finished before it could be killed"
    os.killpg(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    _finish(other, homes[1])
    _materialize_all(killed, homes)
    for home in homes:
        assert _warehouse(killed, home) == expected, home.name
