"""`cvd up` on a fresh CVD_HOME: migrates the database and reports the inbox."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.evadts.handmade import BODY, seal


def test_up_migrates_and_parses_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "one.dex").write_bytes(seal(BODY))
    (inbox / "broken.dex").write_bytes(seal(BODY).replace(b"VA1*12345", b"VA1*99999"))
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration", "up", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # two files, two reads, the damaged one not usable
    assert "│ files                │     2 │" in out
    assert "│ usable               │     1 │" in out
    assert "│ not usable           │     1 │" in out
    with sqlite3.connect(tmp_path / "cvd.sqlite") as con:
        tables = {row[0] for row in con.execute("select name from sqlite_master")}
    assert "alembic_version" in tables
