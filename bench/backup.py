"""Benchmark backups: a full backup of a fleet-year home, then an incremental one a day later.

Builds a home with the simulator (`cvd demo-data`), migrates the operational database, imports
the master data and receives every DEX file but the last simulated day's into the archive (what
a backup reads; the lake is rebuildable and not backed up). Times a full backup into an empty
folder, then receives the last day's files (one more arrival day) and times the next backup.
Prints both times, the backup's size, what each copied, and the ratio incremental/full
(target: under 0.05).

    uv run python bench/backup.py [--machines 200] [--days 365] [--keep HOME]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/ingest.py must not shadow the project's ingest package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.receive import receive_inbox  # noqa: E402
from operations.backup.create import BackupReport, create_backup  # noqa: E402
from orchestration.backups import home_parts  # noqa: E402
from orchestration.settings import load_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def cvd(*args: str) -> None:
    """Run `cvd ARGS` as a child process; stop the benchmark if it fails."""
    subprocess.run([sys.executable, "-m", "orchestration", *args], check=True, cwd=ROOT)


def build_home(home: Path, machines: int, days: int) -> list[Path]:
    """The home with every file received but the last simulated day's, which are returned
    (moved aside, to be received as one more arrival day)."""
    cvd("demo-data", "--machines", str(machines), "--days", str(days), "--home", str(home))
    cvd("db", "upgrade", "--home", str(home))
    cvd("import", "master-data", "--home", str(home))
    inbox = home / "inbox"
    files = sorted(p for p in inbox.rglob("*.dex"))
    # simulator file names end in the read's time: SERIAL_YYYYMMDDhhmmss.dex
    last_day = max(p.stem.rsplit("_", 1)[-1][:8] for p in files)
    held = home.parent / "held"
    held.mkdir()
    later = []
    for path in files:
        if path.stem.rsplit("_", 1)[-1][:8] == last_day:
            later.append(path.rename(held / path.name))
    receive_inbox(inbox, home / "archive", now=datetime.now(UTC) - timedelta(days=1))
    return later


def size_of(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def timed_backup(backup: Path, home: Path, now: datetime) -> tuple[float, BackupReport]:
    """Seconds one backup takes, and its report."""
    start = time.perf_counter()
    report = create_backup(backup, home_parts(load_settings(home)), now=now)
    return time.perf_counter() - start, report


def describe(label: str, seconds: float, report: BackupReport) -> None:
    """One line per backup."""
    print(
        f"{label:12s} {seconds:8.2f} s  {report.archive_contents} archived contents, "
        f"{report.blobs_copied} blobs copied ({report.bytes_copied / 1e6:.1f} MB), "
        f"{report.blobs_reused} already there"
    )


def main() -> None:
    """Build, back up, add a day, back up again; print times, sizes and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", type=Path, help="build in (and keep) this empty folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cvd-bench-backup-"))
    home, backup = work / "home", work / "backups"
    try:
        started = time.perf_counter()
        later = build_home(home, args.machines, args.days)
        print(
            f"home: {args.machines} machines x {args.days} days, built in "
            f"{time.perf_counter() - started:.0f} s; {len(later)} files held for one more day"
        )
        now = datetime.now(UTC)
        full_s, full = timed_backup(backup, home, now)
        describe("full", full_s, full)
        print(
            f"backup size  {size_of(backup) / 1e6:.1f} MB "
            f"(database {size_of(full.snapshot) / 1e6:.1f} MB of it)"
        )
        for path in later:
            path.rename(home / "inbox" / path.name)
        receive_inbox(home / "inbox", home / "archive", now=now)
        incremental_s, incremental = timed_backup(backup, home, now + timedelta(days=1))
        describe("incremental", incremental_s, incremental)
        print(f"backup size  {size_of(backup) / 1e6:.1f} MB after the incremental")
        print(f"ratio incremental/full: {incremental_s / full_s:.3f} (target < 0.05)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
