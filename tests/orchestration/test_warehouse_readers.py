"""The warehouse stays readable while a materialization runs: a reader in another process
queries in a loop and never meets a lock error, and the run never fails because of it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.orchestration.pipeline import copy_inbox, cvd, demo, query

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)

READER = textwrap.dedent("""
    import sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    ok = errors = 0
    from pathlib import Path
    while not Path(stop).exists():
        try:
            con = duckdb.connect(path, read_only=True)
            con.execute("SELECT count(*) FROM dex_reads").fetchone()
            con.execute("SELECT count(*) FROM dex_selection_counters").fetchone()
            con.close()
            ok += 1
        except Exception as exc:  # any error at all is a failure of the design
            errors += 1
            print("ERROR", type(exc).__name__, exc, file=sys.stderr)
    print(ok, errors)
""")


def test_readers_never_block_and_never_see_an_error(tmp_path: Path) -> None:
    source = tmp_path / "source"
    demo(source, machines=10, days=20)
    home = tmp_path / "home"
    names = sorted(p.name for p in (source / "inbox").iterdir())
    copy_inbox(source, home, names[: len(names) // 2])
    assert cvd("materialize", "--home", str(home)) == 0  # a warehouse exists to be read
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home / "warehouse.duckdb"), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("CVD_")},
    )
    try:
        copy_inbox(source, home, names[len(names) // 2 :])
        assert cvd("materialize", "--home", str(home)) == 0
        assert cvd("materialize", "--home", str(home), "--rebuild") == 0
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    ok, errors = map(int, out.split())
    assert errors == 0, err
    assert ok > 10  # it really was reading all along
    (reads,) = query(home, "SELECT count(*) FROM dex_reads")[0]
    assert reads > 0
