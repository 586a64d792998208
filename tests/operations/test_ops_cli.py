"""`cvd db upgrade`, `cvd users add|list|reset|unlock|deactivate|reactivate`, `cvd audit verify`,
`cvd import master-data` (this package's commands only), run through their real parsers."""

from __future__ import annotations

import argparse
import getpass
import io
import os
import re
from pathlib import Path

import pytest
from ops_world import PASSWORD, seed
from sqlalchemy import Engine, text

from operations import auth, db, retention
from operations.errors import AuthenticationError
from operations.permissions import SYSTEM
from operations.schema import utcnow
from operations.services import users
from orchestration.cli import ops_cmds


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cvd")
    ops_cmds.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def home(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_backend: str,
    request: pytest.FixtureRequest,
) -> Path:
    """A home whose database is its own SQLite file, or (``CVD_DATABASE_URL``) a new
    PostgreSQL database: every command test runs on both."""
    if database_backend == "sqlite":
        monkeypatch.delenv("CVD_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("CVD_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return tmp_path / "home"


# the trigger refusing UPDATE on the audit log, as each database names it
DROP_UPDATE_TRIGGER = {
    "sqlite": "DROP TRIGGER audit_log_no_update",
    "postgresql": "DROP TRIGGER audit_log_no_update_or_delete ON audit_log",
}


def _url(home: Path) -> str:
    """The database the commands use for ``home`` (as the settings resolve it)."""
    return os.environ.get("CVD_DATABASE_URL") or f"sqlite:///{home / 'cvd.sqlite'}"


def test_upgrade_add_user_and_import(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["db", "upgrade", "--home", str(home)]) == 0
    assert (home / "cvd.sqlite").exists() == ("CVD_DATABASE_URL" not in os.environ)

    assert _run(["users", "add", "alice", "--role", "manager", "--home", str(home)]) == 0
    shown = re.search(r"password \(shown once\): (\S+)", capsys.readouterr().out)
    assert shown is not None
    engine = db.connect(_url(home))
    token = auth.authenticate(engine, "alice", shown.group(1))
    assert auth.user_for_session(engine, token).role == "manager"

    source = tmp_path / "md"
    source.mkdir()
    (source / "products.csv").write_text(
        "product_id,name,category,price,cost,size\nP1,Cola,Drinks,1.50,0.50,M\nP2,Bad,Drinks,x,0.5,M\n",
        encoding="utf-8",
    )
    # one bad row and five missing files: exit 1, the good row kept
    assert _run(["import", "master-data", str(source), "--home", str(home)]) == 1
    first = capsys.readouterr().out
    assert "price='x'" in first
    assert "file not found" in first
    (source / "products.csv").write_text(
        "product_id,name,category,price,cost,size\nP1,Cola,Drinks,1.50,0.50,M\n", encoding="utf-8"
    )
    _run(["import", "master-data", str(source), "--home", str(home)])
    totals = re.search(r"total\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)", capsys.readouterr().out)
    assert totals is not None
    assert totals.groups() == ("0", "0", "1")  # created, updated, unchanged
    engine.dispose()


def test_password_from_stdin_is_not_printed(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(["db", "upgrade", "--home", str(home)])
    monkeypatch.setattr("sys.stdin", io.StringIO("a-chosen-password\n"))
    assert (
        _run(["users", "add", "bob", "--role", "driver", "--password-stdin", "--home", str(home)])
        == 0
    )
    assert "a-chosen-password" not in capsys.readouterr().out
    engine = db.connect(_url(home))
    assert auth.authenticate(engine, "bob", "a-chosen-password")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-chosen-password\n"))
    assert (
        _run(["users", "add", "bob", "--role", "driver", "--password-stdin", "--home", str(home)])
        == 1
    )
    assert "already taken" in capsys.readouterr().err
    engine.dispose()


def test_commands_refuse_a_database_never_upgraded(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["users", "add", "carol", "--role", "viewer", "--home", str(home)]) == 1
    assert "cvd db upgrade" in " ".join(capsys.readouterr().err.split())  # rich wraps lines


def test_database_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "shared" / "ops.sqlite"
    monkeypatch.setenv("CVD_DATABASE_URL", f"sqlite:///{elsewhere}")
    assert _run(["db", "upgrade", "--home", str(tmp_path / "home")]) == 0
    assert elsewhere.exists()
    assert not (tmp_path / "home" / "cvd.sqlite").exists()


def test_unlock_and_audit_verify_act_as_the_operating_system_user(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["db", "upgrade", "--home", str(home)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("right-password-1\n"))
    add = ["users", "add", "bob", "--role", "viewer", "--password-stdin", "--home", str(home)]
    assert _run(add) == 0
    engine = db.connect(_url(home))
    for attempt in range(auth.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationError):
            auth.authenticate(engine, "bob", f"guess-{attempt}")
    with pytest.raises(AuthenticationError):
        auth.authenticate(engine, "bob", "right-password-1")
    assert _run(["users", "unlock", "bob", "--home", str(home)]) == 0
    assert auth.authenticate(engine, "bob", "right-password-1")
    assert _run(["users", "unlock", "nobody", "--home", str(home)]) == 1
    with engine.connect() as connection:
        by_cli = connection.execute(
            text("SELECT action, actor FROM audit_log WHERE actor LIKE 'cli:%' ORDER BY id")
        ).all()
    assert [tuple(row) for row in by_cli] == [
        ("create", f"cli:{getpass.getuser()}"),
        ("unlock", f"cli:{getpass.getuser()}"),
    ]
    capsys.readouterr()
    assert _run(["audit", "verify", "--home", str(home)]) == 0
    assert "intact" in capsys.readouterr().out
    with engine.begin() as connection:  # tamper behind the trigger's back
        connection.execute(text(DROP_UPDATE_TRIGGER[engine.dialect.name]))
        connection.execute(text("UPDATE audit_log SET actor = 'someone' WHERE action = 'unlock'"))
        tampered = connection.execute(
            text("SELECT id FROM audit_log WHERE action = 'unlock'")
        ).scalar_one()
    assert _run(["audit", "verify", "--home", str(home)]) == 1
    assert f"row {tampered} " in capsys.readouterr().err
    engine.dispose()


def test_audit_verify_checks_the_archive_files_of_a_retention_pass(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["db", "upgrade", "--home", str(home)]) == 0
    engine = db.connect(_url(home))
    for name in ("ann", "ben"):
        users.add_user(engine, SYSTEM, username=name, role="viewer", password="long-password-1")
    pruned = retention.archive_and_remove(
        engine, SYSTEM, older_than=utcnow(), archive_dir=home / "audit-archive"
    )
    engine.dispose()
    assert pruned.removed == 1 and pruned.archive is not None
    capsys.readouterr()
    assert _run(["audit", "verify", "--home", str(home)]) == 0
    assert "intact" in capsys.readouterr().out
    pruned.archive.unlink()
    assert _run(["audit", "verify", "--home", str(home)]) == 1
    assert f"{pruned.archive.name}: missing" in capsys.readouterr().err


def _seeded_home(home: Path) -> Engine:
    """A home migrated by the CLI and seeded with ``ops_world`` (erin holds open order 4)."""
    assert _run(["db", "upgrade", "--home", str(home)]) == 0
    engine = db.connect(_url(home))
    seed(engine)
    return engine


def test_users_list_shows_every_account(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = _seeded_home(home)
    add = ["users", "add", "zed", "--role", "viewer", "--email", "Z@Ex.ORG"]
    assert _run([*add, "--home", str(home)]) == 0
    assert _run(["users", "deactivate", "vic", "--home", str(home)]) == 0
    capsys.readouterr()
    assert _run(["users", "list", "--home", str(home)]) == 0
    rows = {
        cells[0]: cells[1:]
        for line in capsys.readouterr().out.splitlines()
        if len(cells := [c.strip() for c in line.split("│")[1:-1]]) == 6
    }
    assert rows["zed"][:3] == ["viewer", "Z@ex.org", "active"]
    assert rows["vic"][:3] == ["viewer", "", "deactivated"]
    assert set(rows) == {"ann", "dave", "erin", "max", "vic", "zed"}
    engine.dispose()


def test_users_reset_prints_a_temporary_password_once(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = _seeded_home(home)
    capsys.readouterr()
    assert _run(["users", "reset", "dave", "--home", str(home)]) == 0
    shown = re.search(r"temporary password \(shown once[^:]*\): (\S+)", capsys.readouterr().out)
    assert shown is not None
    with pytest.raises(AuthenticationError):
        auth.authenticate(engine, "dave", PASSWORD)
    dave = auth.user_for_session(engine, auth.authenticate(engine, "dave", shown.group(1)))
    assert dave.must_change_password
    assert _run(["users", "reset", "nobody", "--home", str(home)]) == 1
    assert "user 'nobody' not found" in capsys.readouterr().err.replace("\n", " ")
    engine.dispose()


def test_users_deactivate_asks_for_a_successor_then_reactivate(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = _seeded_home(home)
    capsys.readouterr()
    assert _run(["users", "deactivate", "erin", "--home", str(home)]) == 1
    assert "erin holds 1 open orders (4)" in capsys.readouterr().err.replace("\n", " ")
    assert _run(["users", "deactivate", "erin", "--reassign-to", "vic", "--home", str(home)]) == 1
    assert "not driver" in capsys.readouterr().err
    assert auth.authenticate(engine, "erin", PASSWORD)  # still active after both refusals
    assert _run(["users", "deactivate", "erin", "--reassign-to", "dave", "--home", str(home)]) == 0
    assert "open orders 4 now with dave" in capsys.readouterr().out
    with engine.connect() as connection:
        driver = connection.execute(text("SELECT driver_username FROM service_orders WHERE id = 4"))
        assert driver.scalar_one() == "dave"
    with pytest.raises(AuthenticationError):
        auth.authenticate(engine, "erin", PASSWORD)
    assert _run(["users", "reactivate", "erin", "--home", str(home)]) == 0
    assert auth.authenticate(engine, "erin", PASSWORD)
    assert _run(["users", "reactivate", "erin", "--home", str(home)]) == 1
    assert "already active" in capsys.readouterr().err
    with engine.connect() as connection:
        by_cli = connection.execute(
            text("SELECT action, entity_key FROM audit_log WHERE actor LIKE 'cli:%' ORDER BY id")
        ).all()
    assert [tuple(row) for row in by_cli] == [
        ("order.assign", "4"),
        ("delete", "erin"),
        ("reactivate", "erin"),
    ]
    engine.dispose()
