"""Build locks (``ingest.build_locks``): one builder of a day (or of the marts) at a time across
workers sharing the ledger, on the SQLite ledger's folder and on PostgreSQL; a holder killed
with SIGKILL lets the others go on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ingest.build_locks import build_locks, day_lock

HOLD_S = 0.5  # how long a second builder is given to (wrongly) get a held lock
WAIT_S = 60.0


def _acquire_in_thread(
    archive: Path, ledger_url: str | None, names: list[str]
) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """Another builder: takes the locks, says so, and releases them when told."""
    got, release = threading.Event(), threading.Event()

    def builder() -> None:
        with build_locks(archive, ledger_url, names):
            got.set()
            release.wait(WAIT_S)

    thread = threading.Thread(target=builder, daemon=True)
    thread.start()
    return got, release, thread


def test_a_second_builder_of_a_day_waits_for_the_first(
    tmp_path: Path, ledger_url: str | None
) -> None:
    archive = tmp_path / "archive"
    with build_locks(archive, ledger_url, [day_lock("2026-03-01"), "marts"]):
        same, release_same, same_thread = _acquire_in_thread(
            archive, ledger_url, [day_lock("2026-03-01")]
        )
        other, release_other, other_thread = _acquire_in_thread(
            archive, ledger_url, [day_lock("2026-03-02")]
        )
        assert other.wait(WAIT_S), "another day is built meanwhile"
        assert not same.wait(HOLD_S), "the same day was built by two at once"
    assert same.wait(WAIT_S), "the second builder goes on once the first is done"
    for release, thread in ((release_same, same_thread), (release_other, other_thread)):
        release.set()
        thread.join(WAIT_S)


def test_a_builder_killed_with_sigkill_releases_its_lock(
    tmp_path: Path, ledger_url: str | None
) -> None:
    archive = tmp_path / "archive"
    holder = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ingest.build_locks import build_locks\n"
        "with build_locks(Path(sys.argv[1]), sys.argv[2] or None, ['day-2026-03-01']):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(archive), ledger_url or ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        got, release, thread = _acquire_in_thread(archive, ledger_url, ["day-2026-03-01"])
        assert not got.wait(HOLD_S), "the lock was taken while its holder lived"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(WAIT_S)
        assert got.wait(WAIT_S), "a killed holder kept the day locked"
        release.set()
        thread.join(WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_lock_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="build lock name"), build_locks(tmp_path, None, ["../x"]):
        pass
