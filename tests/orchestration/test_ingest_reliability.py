"""Reliability of ingestion: reruns, crashes (a real kill -9), arrival order, garbage.

The reference is always a clean single run over the same files in another home; what must
match is what analysts see (CONTENT_SQL), read-only from each home's warehouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.orchestration.pipeline import CONTENT_SQL, copy_inbox, cvd, demo, query

pytestmark = pytest.mark.slow  # a long module: handed out first (tests/conftest.py)


def _clean_reference(source: Path, tmp: Path) -> list[tuple]:  # type: ignore[type-arg]
    home = tmp / "reference"
    copy_inbox(source, home)
    assert cvd("materialize", "--home", str(home)) == 0
    return query(home, CONTENT_SQL)


def test_ingesting_twice_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source"
    demo(source)
    home = tmp_path / "home"
    copy_inbox(source, home)
    assert cvd("materialize", "--home", str(home)) == 0
    first = {
        t: query(home, f"SELECT * FROM {t} ORDER BY ALL")
        for t in ("dex_files", "dex_reads", "dex_selection_counters", "dex_events")
    }
    copy_inbox(source, home)  # the same files delivered again
    assert cvd("materialize", "--home", str(home)) == 0
    again = {t: query(home, f"SELECT * FROM {t} ORDER BY ALL") for t in first}
    assert again["dex_reads"] == first["dex_reads"]
    assert again["dex_selection_counters"] == first["dex_selection_counters"]
    assert again["dex_events"] == first["dex_events"]
    # the second deliveries are recorded, as duplicates of the first
    statuses = [row[5] for row in again["dex_files"] if row not in first["dex_files"]]
    assert statuses and set(statuses) == {"duplicate"}
    assert query(home, CONTENT_SQL) == _clean_reference(source, tmp_path)


def test_kill_minus_nine_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    source = tmp_path / "source"
    demo(source, machines=12, days=40)
    home = tmp_path / "home"
    copy_inbox(source, home)
    files_given = len(list((home / "inbox").iterdir()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CVD_", "DAGSTER_"))}
    child = subprocess.Popen(
        [sys.executable, "-m", "orchestration", "materialize", "--home", str(home)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # wait until the run is under way (files being archived), then kill it without warning
    deadline = time.monotonic() + 120
    archive = home / "archive"
    while time.monotonic() < deadline and len(list(archive.glob("??/*.dex"))) <= files_given // 3:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert cvd("materialize", "--home", str(home)) == 0
    assert query(home, CONTENT_SQL) == _clean_reference(source, tmp_path)
    # every file received is recorded exactly once, none lost, none doubled
    (count,) = query(home, "SELECT count(*) FROM dex_files")[0]
    assert count == files_given
    assert not any((home / "inbox").iterdir())


def test_arrival_order_does_not_matter(tmp_path: Path) -> None:
    source = tmp_path / "source"
    demo(source, days=16)
    names = sorted(p.name for p in (source / "inbox").iterdir())
    early, late = names[::2], names[1::2]  # interleaved: every batch has gaps the other fills
    results = []
    for order in ((early, late), (late, early)):
        home = tmp_path / f"home-{len(results)}"
        for batch in order:
            copy_inbox(source, home, batch)
            assert cvd("materialize", "--home", str(home)) == 0
        results.append(query(home, CONTENT_SQL))
    assert results[0] == results[1] == _clean_reference(source, tmp_path)


def test_garbage_is_quarantined_and_nothing_else_is_affected(tmp_path: Path) -> None:
    source = tmp_path / "source"
    demo(source, days=6)
    home = tmp_path / "home"
    copy_inbox(source, home)
    inbox = home / "inbox"
    (inbox / "empty.dex").write_bytes(b"")
    (inbox / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (inbox / "noise.dex").write_bytes(os.urandom(50 * 1024 * 1024))
    with zipfile.ZipFile(inbox / "upload.zip", "w") as archive:
        archive.writestr("x.dex", "DXS*1*VA*V1/1*1\r\n")
    folder = inbox / "a folder with spaces"
    folder.mkdir()
    (folder / "note.txt").write_text("not a DEX file")
    (inbox / "ÜnïcødΣ name €.dex").write_text("PA1*1*100\nnonsense\n")
    assert cvd("materialize", "--home", str(home)) == 0
    status = dict(query(home, "SELECT original_name, status FROM dex_files"))
    reasons = dict(query(home, "SELECT original_name, reason FROM quarantine"))
    for name, reason in (
        ("empty.dex", "empty_file"),
        ("binary.bin", "binary_file"),
        ("noise.dex", "too_large"),
        ("upload.zip", "binary_file"),
        ("a folder with spaces/note.txt", "no_reads"),
    ):
        assert status[name] == "quarantined", name
        assert reasons[name] == reason, name
    # the unicode-named file is taken in under its own name (bare segments, no machine id)
    assert "ÜnïcødΣ name €.dex" in status
    assert not any(inbox.iterdir())
    assert query(home, CONTENT_SQL) == _clean_reference(source, tmp_path)
