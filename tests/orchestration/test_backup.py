"""Backup and restore of a real demo home, through the real `cvd` commands.

The round trip destroys a materialized home, restores it from its backup and materializes it
again: every operational table and every warehouse table or view has the same rows as before.
A backup taken while writers run restores to a state that is whole (every user has its audit
row, the audit chain holds, every delivery's bytes are there). Damaged backups are refused
before anything is written, and a second backup copies no blob twice.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest.receive import receive_file
from operations import audit, auth
from operations import db as operations_db
from operations.backup.create import create_backup
from operations.backup.layout import BLOBS
from operations.backup.retention import prune
from operations.permissions import SYSTEM
from operations.services.users import add_user
from orchestration.backups import home_parts
from orchestration.cli.pipeline_run import prepare_environment, run_resources
from orchestration.defs.backup.jobs import backup_job
from orchestration.settings import load_settings
from tests.orchestration.pipeline import cvd, demo

PHOTO = b"\xff\xd8\xff\xe0 a photo of machine A00001 \x00\x01\x02"
PLANOGRAM_TOML = b"# an operator's setting file, kept verbatim\n"
# Columns that stamp the run that built a row (the Dagster run id, the wall-clock time): no two
# runs share them, so they are left out of the comparison; every other column must match.
RUN_STAMPS = ("run_id", "created_at")


def _env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("CVD_HOME", str(home))
    monkeypatch.setenv("CVD_DATABASE_URL", f"sqlite:///{home / 'cvd.sqlite'}")
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A materialized 5-machine x 20-day demo home with users, a photo and a config file."""
    home = tmp_path_factory.mktemp("backup") / "home"
    auth.use_fast_hashing_for_tests()
    with pytest.MonkeyPatch.context() as env:
        _env(env, home)
        demo(home, machines=5, days=20)
        assert cvd("db", "upgrade", "--home", str(home)) == 0
        assert cvd("import", "master-data", "--home", str(home)) == 0
        # the files first: the planogram settings file is an input of the recommendations
        (home / "photos" / "A00001").mkdir(parents=True)
        (home / "photos" / "A00001" / "front.jpg").write_bytes(PHOTO)
        (home / "planogram.toml").write_bytes(PLANOGRAM_TOML)
        assert cvd("materialize", "--home", str(home)) == 0
        engine = operations_db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
        for name, role in (("ada", "admin"), ("max", "manager"), ("vera", "viewer")):
            add_user(engine, SYSTEM, username=name, role=role, password=f"{name}-password-1")
        engine.dispose()
    yield home


@pytest.fixture
def home(built_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the built home (tests destroy or write it); the environment points at
    it for this test."""
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy, symlinks=True)
    _env(monkeypatch, copy)
    return copy


# Operational columns that stamp the latest run that touched a row: the materialize after the
# restore is a run of its own (an alert it finds again is refreshed, not reopened).
OPERATIONAL_RUN_STAMPS = {"alerts": ("last_seen_at",)}


def operational_rows(home: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the home's SQLite database, sorted (run stamps left out)."""
    with closing(sqlite3.connect(home / "cvd.sqlite")) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = {}
        for table in tables:
            stamps = OPERATIONAL_RUN_STAMPS.get(table, ())
            columns = [
                f'"{c[1]}"'
                for c in con.execute(f'PRAGMA table_info("{table}")')
                if c[1] not in stamps
            ]
            query = f'SELECT {", ".join(columns)} FROM "{table}"'
            rows[table] = sorted(con.execute(query).fetchall(), key=repr)
        return rows


def _sort_key(row: tuple[object, ...]) -> str:
    """Rows sort by their other columns first, then by their floats to 6 significant digits,
    so that two runs' rows line up even where a float's last digits differ."""
    others = [v for v in row if not isinstance(v, float)]
    floats = [f"{v:.6g}" for v in row if isinstance(v, float)]
    return repr((others, floats))


def _same_row(got: tuple[object, ...], want: tuple[object, ...]) -> bool:
    """Equal, floats within 1e-9 relative or absolute: a sum's last bits depend on the order
    DuckDB's threads add in, which no two runs share, and a difference of two such sums (an
    interval's lower end) carries that noise into its own last digits."""
    return len(got) == len(want) and all(
        (math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(g) and math.isnan(w)))
        if isinstance(g, float) and isinstance(w, float)
        else g == w
        for g, w in zip(got, want, strict=True)
    )


def assert_same_warehouse(
    got: dict[str, list[tuple[object, ...]]], want: dict[str, list[tuple[object, ...]]]
) -> None:
    """Every table and view has the same rows (floats compared as ``_same_row`` says)."""
    assert sorted(got) == sorted(want)
    for name, rows in want.items():
        assert len(got[name]) == len(rows), name
        for g, w in zip(got[name], rows, strict=True):
            assert _same_row(g, w), (name, g, w)


def _select_data(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """SELECT every column of the table but its run stamps."""
    columns = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    stamps = [c[0] for c in columns if c[0] in RUN_STAMPS]
    exclude = f" EXCLUDE ({', '.join(stamps)})" if stamps else ""
    return f'SELECT *{exclude} FROM "{schema}"."{table}"'


def warehouse_rows(home: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table and view of the home's warehouse, sorted (``_sort_key``)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1, 2"
        ).fetchall()
        return {
            f"{s}.{t}": sorted(
                con.execute(_select_data(con, s, t)).fetchall(),
                key=_sort_key,
            )
            for s, t in names
        }
    finally:
        con.close()


def test_round_trip_restores_every_operational_and_warehouse_row(
    home: Path, tmp_path: Path
) -> None:
    before_ops = operational_rows(home)
    before_warehouse = warehouse_rows(home)
    assert before_warehouse["main.fct_daily_sales"], "the demo home has sales to compare"
    backups = tmp_path / "backups"
    assert cvd("backup", "--to", str(backups), "--home", str(home)) == 0
    assert cvd("backup", "verify", str(backups)) == 0

    shutil.rmtree(home)
    assert cvd("restore", str(backups), "--home", str(home), "--materialize") == 0

    after_ops = operational_rows(home)
    restore_rows = [r for r in after_ops["audit_log"] if "restore" in r]
    assert len(restore_rows) == 1, "the restore itself is audited in the restored database"
    after_ops["audit_log"] = [r for r in after_ops["audit_log"] if r not in restore_rows]
    assert after_ops == before_ops
    assert_same_warehouse(warehouse_rows(home), before_warehouse)
    assert (home / "photos" / "A00001" / "front.jpg").read_bytes() == PHOTO
    assert (home / "planogram.toml").read_bytes() == PLANOGRAM_TOML
    engine = operations_db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
    try:
        assert audit.verify_chain(engine) is None
    finally:
        engine.dispose()


def test_restore_refuses_a_home_that_is_not_empty(home: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    assert cvd("backup", "--to", str(backups), "--home", str(home)) == 0
    before = operational_rows(home)
    assert cvd("restore", str(backups), "--home", str(home)) == 1
    assert operational_rows(home) == before


def _blob_files(backups: Path) -> list[Path]:
    return sorted(p for p in (backups / BLOBS).glob("*/*") if p.is_file())


def _archived_contents(home: Path) -> set[str]:
    """The archive's distinct contents, read off its files (named by their hash)."""
    return {p.name.removesuffix(".dex") for p in (home / "archive").glob("??/*.dex")}


def test_a_second_backup_copies_only_what_is_new(home: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    parts = home_parts(load_settings(home))
    first = create_backup(backups, parts)
    other_files = 1 + 1 + len(list((home / "master-data").iterdir()))  # photo, toml, CSVs
    assert first.blobs_copied == len(_archived_contents(home)) + other_files
    assert len(_blob_files(backups)) == first.blobs_copied

    new_file = home / "inbox" / "late.dex"
    new_file.parent.mkdir(exist_ok=True)
    new_file.write_bytes(b"DXS*LATE*VA*V0/6*1\r\nDXE*1*1\r\n")
    receive_file(new_file, home / "inbox", home / "archive")
    second = create_backup(backups, parts, now=datetime.now(UTC) + timedelta(seconds=1))
    assert second.blobs_copied == 1  # the new content, nothing else
    assert second.bytes_copied == len(b"DXS*LATE*VA*V0/6*1\r\nDXE*1*1\r\n")
    assert len(_blob_files(backups)) == first.blobs_copied + 1


def _damage(path: Path) -> None:
    path.chmod(0o600)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("what", ["blob", "database copy", "manifest"])
def test_a_damaged_backup_fails_verify_and_restore_before_writing(
    home: Path,
    tmp_path: Path,
    what: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backups = tmp_path / "backups"
    assert cvd("backup", "--to", str(backups), "--home", str(home)) == 0
    (snapshot,) = (backups / "snapshots").iterdir()
    damaged = {
        "blob": _blob_files(backups)[0],
        "database copy": snapshot / "cvd.sqlite",
        "manifest": snapshot / "manifest.json",
    }[what]
    _damage(damaged)
    capsys.readouterr()
    assert cvd("backup", "verify", str(backups)) == 1
    assert str(damaged) in capsys.readouterr().err.replace("\n", "")
    target = tmp_path / "restored"
    monkeypatch.delenv("CVD_DATABASE_URL")  # the restored home's own cvd.sqlite
    assert cvd("restore", str(backups), "--home", str(target)) == 1
    assert str(damaged) in capsys.readouterr().err.replace("\n", "")
    assert not target.exists()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_taken_during_writes_restores_to_a_whole_state(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread adds users through the service layer and receives inbox files while backups
    are taken; each snapshot restores to a database whose users and audit rows agree and a
    ledger whose every delivery has its bytes."""
    backups = tmp_path / "backups"
    parts = home_parts(load_settings(home))
    stop = threading.Event()
    written: list[str] = []
    failures: list[BaseException] = []

    def write() -> None:
        engine = operations_db.connect(parts.database_url)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                add_user(engine, SYSTEM, username=f"w{n}", role="viewer", password="writer-pass-1")
                drop = home / "inbox" / f"w{n}.dex"
                drop.parent.mkdir(exist_ok=True)
                drop.write_bytes(f"DXS*W{n}*VA*V0/6*1\r\nDXE*1*1\r\n".encode())
                receive_file(drop, home / "inbox", home / "archive")
                written.append(f"w{n}")
        except BaseException as error:  # reported to the test below
            failures.append(error)
        finally:
            engine.dispose()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        start = datetime.now(UTC)
        for k in range(4):
            create_backup(backups, parts, now=start + timedelta(seconds=k))
    finally:
        stop.set()
        writer.join()
    assert not failures
    assert written, "the writer ran during the backups"
    assert cvd("backup", "verify", str(backups)) == 0

    monkeypatch.delenv("CVD_DATABASE_URL")  # each restored home's own cvd.sqlite
    for snapshot in sorted(p.name for p in (backups / "snapshots").iterdir()):
        target = tmp_path / f"restored-{snapshot}"
        args = ("restore", str(backups), "--snapshot", snapshot, "--home", str(target))
        assert cvd(*args) == 0
        with closing(sqlite3.connect(target / "cvd.sqlite")) as con:
            users = {r[0] for r in con.execute("SELECT username FROM users")}
            created = {
                r[0]
                for r in con.execute(
                    "SELECT entity_key FROM audit_log WHERE entity = 'user' AND action = 'create'"
                )
            }
        assert users == created  # a user and its audit row: both or neither
        with closing(sqlite3.connect(target / "archive" / "ledger.sqlite")) as con:
            shas = {r[0] for r in con.execute("SELECT sha256 FROM deliveries")}
        for sha in shas:
            assert _sha256(target / "archive" / sha[:2] / f"{sha}.dex") == sha
        engine = operations_db.connect(f"sqlite:///{target / 'cvd.sqlite'}")
        try:
            assert audit.verify_chain(engine) is None
        finally:
            engine.dispose()


def test_prune_keeps_the_newest_per_day_and_removes_unneeded_blobs(
    home: Path, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    parts = home_parts(load_settings(home))
    photo = home / "photos" / "A00001" / "front.jpg"
    day = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    create_backup(backups, parts, now=day)
    old_photo = _sha256(photo)
    photo.write_bytes(PHOTO + b" retaken")
    create_backup(backups, parts, now=day + timedelta(hours=2))  # the next day (01:00)
    create_backup(backups, parts, now=day + timedelta(hours=3))  # the same next day

    report = prune(backups, daily=1, weekly=0)
    assert report.kept == ["20260303T020000000000Z"]
    assert report.removed == ["20260302T230000000000Z", "20260303T010000000000Z"]
    assert report.blobs_removed == 1  # the first photo: no kept snapshot needs it
    assert not (backups / BLOBS / old_photo[:2] / old_photo).exists()
    assert cvd("backup", "verify", str(backups)) == 0


def test_the_nightly_job_backs_up_and_applies_the_retention_policy(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dagster job, run for real on the home's own instance: two runs on one day leave one
    snapshot (keep 1 daily, 0 weekly), and both backups and the prune are audited."""
    backups = tmp_path / "nightly"
    monkeypatch.setenv("CVD_BACKUP_DIR", str(backups))
    monkeypatch.setenv("CVD_BACKUP_KEEP_DAILY", "1")
    monkeypatch.setenv("CVD_BACKUP_KEEP_WEEKLY", "0")
    for name in ("CVD_HOME", "DAGSTER_HOME", "GX_ANALYTICS_ENABLED"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
    settings = load_settings(home)
    prepare_environment(settings)
    instance = dg.DagsterInstance.get()
    for _ in range(2):
        result = backup_job.execute_in_process(resources=run_resources(settings), instance=instance)
        assert result.success
    (kept,) = (backups / "snapshots").iterdir()
    assert (kept / "manifest.json").is_file()
    assert cvd("backup", "verify", str(backups)) == 0
    with closing(sqlite3.connect(home / "cvd.sqlite")) as con:
        actions = [
            r[0]
            for r in con.execute("SELECT action FROM audit_log WHERE entity = 'backup' ORDER BY id")
        ]
    assert actions == ["backup", "backup", "prune"]
