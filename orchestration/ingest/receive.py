"""Receiving: every file in the inbox is archived, content-addressed, before anything else.

Layout under ``$CVD_HOME/archive``:

- ``<sha[:2]>/<sha>.dex``: the bytes, exactly as received, never deleted.
- ``<sha[:2]>/<sha>.first.json``: the first delivery of those bytes (later ones are duplicates).
- ``deliveries/<delivery_id>.json``: one per file received (name, size, sha, time, day).
- ``days/<YYYY-MM-DD>/<delivery_id>``: the index of what arrived on a day (a lake partition).

Each step is idempotent, so a crash at any point followed by a rerun neither loses a file nor
records it twice: the inbox file is removed only after all of the above exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from transforms.lake import atomic_write_json

CHUNK = 1 << 20
BATCH = 500  # files archived between two syncs (and inbox removals)
RECEIVE_THREADS = 4
# Names an uploader uses while a file is still being written: not ours yet.
IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")


@dataclass(frozen=True)
class Delivery:
    """One file received: what it was called, what it held, when it came."""

    delivery_id: str
    sha256: str
    original_name: str
    size: int
    received_at: str  # ISO 8601, UTC
    received_date: str  # YYYY-MM-DD, the lake partition

    @classmethod
    def load(cls, path: Path) -> Delivery:
        """Read a delivery record."""
        return cls(**json.loads(path.read_text()))


@dataclass
class ReceiveReport:
    """What one pass over the inbox did."""

    received: int = 0
    duplicates: int = 0  # same bytes as a file received before
    already_recorded: int = 0  # left in the inbox by a crash after being recorded
    bytes: int = 0
    days: set[str] = field(default_factory=set)  # arrival days touched


def blob_path(archive: Path, sha: str) -> Path:
    """Where the bytes with hash ``sha`` are archived."""
    return archive / sha[:2] / f"{sha}.dex"


def first_delivery_path(archive: Path, sha: str) -> Path:
    """The record of the first delivery of the bytes ``sha``."""
    return archive / sha[:2] / f"{sha}.first.json"


def delivery_path(archive: Path, delivery_id: str) -> Path:
    """The record of one delivery."""
    return archive / "deliveries" / f"{delivery_id}.json"


def day_index(archive: Path, day: str) -> Path:
    """The folder listing the deliveries that arrived on ``day``."""
    return archive / "days" / day


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox (any depth), oldest name first; in-flight uploads skipped."""
    if not inbox.is_dir():
        return []
    found = [
        p
        for p in inbox.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IN_FLIGHT_SUFFIXES)
    ]
    return sorted(found)


def _archive_stream(path: Path, archive: Path, *, durable: bool) -> tuple[str, int]:
    """Copy ``path`` into the archive while hashing it; returns (sha256, size). Memory stays
    bounded by one chunk whatever the file's size."""
    archive.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=archive, prefix=".incoming.", suffix=".tmp")
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            if durable:
                dst.flush()
                os.fsync(dst.fileno())
        sha = digest.hexdigest()
        target = blob_path(archive, sha)
        if target.exists():
            Path(tmp).unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(tmp).replace(target)
        return sha, size
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _delivery_id(relative_name: str, stat: os.stat_result, sha: str) -> str:
    """Stable for one inbox file across reruns (a crash leaves the very same file behind), and
    new for a new copy of the same bytes under the same name (another inode, another ctime)."""
    key = (
        f"{relative_name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0"
        f"{stat.st_ino}\0{sha}"
    ).encode()
    return hashlib.sha256(key).hexdigest()[:24]


def receive_file(
    path: Path,
    inbox: Path,
    archive: Path,
    *,
    now: datetime | None = None,
    durable: bool = True,
    remove: bool = True,
) -> tuple[Delivery, str]:
    """Archive one inbox file and record its delivery; returns it and what happened
    (``received``, ``duplicate`` or ``already_recorded``). Removes the inbox file last.

    ``durable=False, remove=False`` is for batches: the caller syncs once, then removes."""
    relative = path.relative_to(inbox).as_posix()
    stat = path.stat()
    sha, size = _archive_stream(path, archive, durable=durable)
    delivery_id = _delivery_id(relative, stat, sha)
    record = delivery_path(archive, delivery_id)
    first = first_delivery_path(archive, sha)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    delivery = Delivery(delivery_id, sha, relative, size, at.isoformat(), at.date().isoformat())
    # of two receivers of the same inbox file (the sensor's run, a cron job) exactly one
    # creates the record; the other uses it, so both index the delivery under the same day
    if not record.exists() and atomic_write_json(
        record, asdict(delivery), durable=durable, exclusive=True
    ):
        outcome = "received"
    else:
        delivery, outcome = Delivery.load(record), "already_recorded"
    try:
        # the first delivery of these bytes is a hard link to its record: creating a link is
        # atomic and fails if it exists, so of two receivers of the same bytes exactly one wins
        os.link(record, first)
    except FileExistsError:
        earlier = Delivery.load(first)
        if earlier.delivery_id != delivery_id:
            outcome = "duplicate" if outcome == "received" else outcome
        elif earlier != delivery:  # an older version wrote first, then crashed
            delivery = earlier
            atomic_write_json(record, asdict(delivery), durable=durable)
    _touch(day_index(archive, delivery.received_date) / delivery_id)
    if remove:
        path.unlink()
    return delivery, outcome


def _touch(marker: Path) -> None:
    """Create the empty file ``marker`` (and its folder) if it is not there yet."""
    try:
        marker.touch()
    except FileNotFoundError:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()


def _receive_one(
    path: Path, *, inbox: Path, archive: Path, now: datetime | None
) -> tuple[Path, Delivery, str] | None:
    try:
        delivery, outcome = receive_file(path, inbox, archive, now=now, durable=False, remove=False)
    except FileNotFoundError:
        if path.exists():
            raise  # not a file taken by another receiver: something is missing in the archive
        return None  # another receiver (the sensor's run, a cron job) took it first
    return path, delivery, outcome


def receive_inbox(
    inbox: Path,
    archive: Path,
    *,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReceiveReport:
    """Archive every file in the inbox; returns counts and the arrival days touched.

    Files are received by a few threads (the work is file-system calls, which release the
    GIL; :func:`receive_file` is safe to run concurrently), in batches: after each batch one
    sync, then the inbox copies are removed."""
    report = ReceiveReport()
    files = inbox_files(inbox)
    receive = partial(_receive_one, inbox=inbox, archive=archive, now=now)
    done = 0
    with ThreadPoolExecutor(RECEIVE_THREADS) as pool:
        for start in range(0, len(files), BATCH):
            taken: list[Path] = []
            for got in pool.map(receive, files[start : start + BATCH]):
                done += 1
                if got is not None:
                    path, delivery, outcome = got
                    taken.append(path)
                    report.bytes += delivery.size
                    report.days.add(delivery.received_date)
                    if outcome == "received":
                        report.received += 1
                    elif outcome == "duplicate":
                        report.duplicates += 1
                    else:
                        report.already_recorded += 1
                if progress:
                    progress(done, len(files))
            _sync_then_remove(taken)
    _remove_empty_dirs(inbox)
    return report


def _sync_then_remove(taken: list[Path]) -> None:
    """Flush everything archived so far to disk once, then let go of the inbox copies."""
    if not taken:
        return
    os.sync()
    for path in taken:
        path.unlink(missing_ok=True)
    taken.clear()


def _remove_empty_dirs(inbox: Path) -> None:
    for folder in sorted((p for p in inbox.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def deliveries_of_day(archive: Path, day: str) -> list[Delivery]:
    """Every delivery that arrived on ``day``, in a stable order (time, then id)."""
    folder = day_index(archive, day)
    if not folder.is_dir():
        return []
    found = [Delivery.load(delivery_path(archive, marker.name)) for marker in folder.iterdir()]
    return sorted(found, key=lambda d: (d.received_at, d.delivery_id))


def arrival_days(archive: Path) -> list[str]:
    """Every day on which something arrived, oldest first."""
    folder = archive / "days"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def iter_day_markers(archive: Path, day: str) -> Iterator[str]:
    """The delivery ids indexed under ``day``."""
    folder = day_index(archive, day)
    if folder.is_dir():
        yield from sorted(p.name for p in folder.iterdir())
