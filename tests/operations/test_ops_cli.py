"""`cvd db upgrade`, `cvd users add`, `cvd import master-data` (this package's commands only)."""

from __future__ import annotations

import argparse
import getpass
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from operations import auth, db
from operations.errors import AuthenticationError
from orchestration.cli import ops_cmds


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cvd")
    ops_cmds.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CVD_DATABASE_URL", raising=False)
    return tmp_path / "home"


def test_upgrade_add_user_and_import(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["db", "upgrade", "--home", str(home)]) == 0
    assert (home / "cvd.sqlite").exists()

    assert _run(["users", "add", "alice", "--role", "manager", "--home", str(home)]) == 0
    shown = re.search(r"password \(shown once\): (\S+)", capsys.readouterr().out)
    assert shown is not None
    engine = db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
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
    engine = db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
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
    # the console wraps long lines wherever the revision name's length puts the break
    assert "cvd db upgrade" in " ".join(capsys.readouterr().err.split())


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
    engine = db.connect(f"sqlite:///{home / 'cvd.sqlite'}")
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
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("UPDATE audit_log SET actor = 'someone' WHERE action = 'unlock'"))
        tampered = connection.execute(
            text("SELECT id FROM audit_log WHERE action = 'unlock'")
        ).scalar_one()
    assert _run(["audit", "verify", "--home", str(home)]) == 1
    assert f"row {tampered} " in capsys.readouterr().err
    engine.dispose()
