"""Receiving: every file in the inbox is archived, content-addressed, before anything else.

Layout under ``$CVD_HOME/archive``:

- ``<sha[:2]>/<sha>.dex``: the bytes, exactly as received, never deleted.
- ``ledger.sqlite``: one row per delivery (name, size, sha, time, arrival day) and the first
  delivery of each content (later ones are duplicates); see :mod:`ingest.ledger`.

A batch of inbox files is archived (each a hard link of the inbox file under its hash, so no byte
is copied where the inbox and the archive share a file system), synced to disk once, recorded in
the ledger in one transaction, and only then removed from the inbox. Each step is idempotent, so a
crash at any point followed by a rerun neither loses a file nor records it twice.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import signal
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from stat import S_ISREG

from ingest.blobs import offload
from ingest.incoming import IncomingFile, blob_path, settle
from ingest.ledger import (
    Delivery,
    arrival_days,
    deliveries_of_day,
    open_ledger,
    record,
)
from transforms.lake import Location

__all__ = [
    "Delivery",
    "ReceiveReport",
    "arrival_days",
    "blob_path",
    "deliveries_of_day",
    "inbox_files",
    "receive_file",
    "receive_inbox",
]

CHUNK = 1 << 20
# link(2) errors meaning "this file cannot be linked here", so the file is copied instead
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}
BATCH = 500  # files archived between two syncs (one ledger transaction each)
RECEIVE_THREADS = 4
# Linux only; without leases nothing proves no one else has a file open, so files are copied
_LEASES = hasattr(fcntl, "F_SETLEASE") and hasattr(fcntl, "F_SETSIG")
STALE_TEMP_S = 3600.0  # a temp file in the archive older than this was left by a crash
# Names an uploader uses while a file is still being written: not ours yet.
IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")


@dataclass
class ReceiveReport:
    """What one pass over the inbox did."""

    received: int = 0
    duplicates: int = 0  # same bytes as a file received before
    already_recorded: int = 0  # left in the inbox by a crash after being recorded
    bytes: int = 0
    days: set[str] = field(default_factory=set)  # arrival days touched


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


def _archive_stream(path: Path, archive: Path) -> tuple[str, int]:
    """Copy ``path`` into the archive while hashing it; returns (sha256, size). Memory stays
    bounded by one chunk whatever the file's size. Used where the inbox cannot be linked."""
    incoming = IncomingFile(archive)
    try:
        with path.open("rb") as src:
            while chunk := src.read(CHUNK):
                incoming.write(chunk)
    except BaseException:
        incoming.abort()
        raise
    return incoming.settle()


class _InUseError(Exception):
    """The inbox file is open in another process (maybe still being written): copy it."""


def _archive_link(path: Path, archive: Path) -> tuple[str, int]:
    """Archive ``path`` by hard-linking it (no copy, no new file), read-only, under a private
    name until it is settled at its hash.

    Only while no other process has the file open: a write lease (``F_SETLEASE``) is granted
    only then, and while it is held an open by anyone else waits. So no writer can still be
    adding bytes after they were hashed; a file someone has open is copied instead (raises
    :class:`_InUseError`). Raises ``OSError`` where a link is impossible (another file system)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        try:
            # an open elsewhere while the lease is held waits for it, and the kernel signals the
            # holder: with SIGURG, which is ignored by default (SIGIO would end the process)
            fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        except OSError as error:  # EAGAIN: open elsewhere; EINVAL: no leases on this system
            raise _InUseError(path) from error
        try:
            return _link_leased(path, fd, archive)
        finally:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    finally:
        os.close(fd)


def _link_leased(path: Path, fd: int, archive: Path) -> tuple[str, int]:
    tmp = archive / f".incoming.{uuid.uuid4().hex}.tmp"
    os.link(path, tmp, follow_symlinks=False)
    try:
        if tmp.lstat().st_ino != os.fstat(fd).st_ino:  # the name was replaced since the open
            raise _InUseError(path)
        tmp.chmod(0o444)
        digest = hashlib.sha256()
        size = 0
        while chunk := os.read(fd, CHUNK):  # the leased descriptor: opening again would
            digest.update(chunk)  # break the lease
            size += len(chunk)
        return settle(tmp, archive, digest.hexdigest()), size
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _linkable(stat: os.stat_result) -> bool:
    """Whether the inbox file may become the archived blob itself: a regular file (not a
    symlink) that we own and that has no other name, so nothing outside the inbox can change
    the archived bytes later. Anything else is copied."""
    return S_ISREG(stat.st_mode) and stat.st_nlink == 1 and stat.st_uid == os.geteuid()


def _archive(path: Path, archive: Path) -> tuple[str, int]:
    """Archive ``path`` (into an existing ``archive``; the caller syncs): a hard link where that
    is safe and the inbox and the archive share a file system (the usual case, and no bytes
    are written), a copy elsewhere."""
    if _LEASES and _linkable(path.lstat()):
        try:
            return _archive_link(path, archive)
        except _InUseError:
            pass
        except OSError as error:
            if error.errno not in _NO_LINK:
                raise
    return _archive_stream(path, archive)


def _delivery_id(relative_name: str, stat: os.stat_result, sha: str) -> str:
    """Stable for one inbox file across reruns (a crash leaves the very same file behind), and
    new for a new copy of the same bytes under the same name (another inode or mtime). Not the
    ctime: archiving links the file, which changes its ctime. (A copy with the same name, bytes
    and mtime that reuses the inode of the one before counts as that same delivery.)"""
    key = f"{relative_name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}\0{sha}".encode()
    return hashlib.sha256(key).hexdigest()[:24]


@dataclass(frozen=True)
class _Archived:
    """An inbox file whose bytes are in the archive, not yet recorded."""

    path: Path
    delivery: Delivery


def _archive_one(
    path: Path, inbox: Path, archive: Path, *, now: datetime | None
) -> _Archived | None:
    """Archive one inbox file (not yet recorded); None if another receiver took it first."""
    relative = path.relative_to(inbox).as_posix()
    try:
        stat = path.stat()
        sha, size = _archive(path, archive)
    except FileNotFoundError:
        if path.exists():
            raise  # not a file taken by another receiver: something is missing in the archive
        return None  # another receiver (the sensor's run, a cron job) took it first
    at = (now or datetime.now(UTC)).astimezone(UTC)
    delivery_id = _delivery_id(relative, stat, sha)
    delivery = Delivery(delivery_id, sha, relative, size, at.isoformat(), at.date().isoformat())
    return _Archived(path, delivery)


def receive_file(
    path: Path,
    inbox: Path,
    archive: Path,
    *,
    now: datetime | None = None,
    durable: bool = True,
    remove: bool = True,
    ledger_url: str | None = None,
) -> tuple[Delivery, str]:
    """Archive one inbox file and record its delivery; returns it and what happened
    (``received``, ``duplicate`` or ``already_recorded``). Removes the inbox file last.
    (:func:`receive_inbox` does the same for a whole inbox, a batch at a time.) ``ledger_url``:
    the ledger's database (None: the SQLite file in the archive)."""
    archive.mkdir(parents=True, exist_ok=True)
    archived = _archive_one(path, inbox, archive, now=now)
    if archived is None:
        raise FileNotFoundError(path)
    if durable:
        os.sync()
    with open_ledger(archive, ledger_url) as con:
        ((delivery, outcome),) = record(con, [archived.delivery])
    if remove:
        path.unlink()
    return delivery, outcome


def receive_inbox(
    inbox: Path,
    archive: Path,
    *,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    blobs: Location | None = None,
    ledger_url: str | None = None,
) -> ReceiveReport:
    """Archive every file in the inbox; returns counts and the arrival days touched.

    Batch by batch: a few threads archive the files (hashing and linking, file-system calls
    that release the GIL), one sync puts the batch on disk, one ledger transaction records it,
    and then the inbox copies are removed. With ``blobs`` in object storage each batch's blobs
    are uploaded there (:func:`ingest.blobs.offload`) before the ledger records them."""
    report = ReceiveReport()
    files = inbox_files(inbox)
    if not files:
        return report
    archive.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(archive)
    take = partial(_archive_one, inbox=inbox, archive=archive, now=now)
    done = 0
    with ThreadPoolExecutor(RECEIVE_THREADS) as pool, open_ledger(archive, ledger_url) as con:
        for start in range(0, len(files), BATCH):
            archived = [got for got in pool.map(take, files[start : start + BATCH]) if got]
            if archived:
                os.sync()  # the batch's bytes are on disk before the ledger names them
            if archived and blobs is not None:
                offload(archive, blobs, [a.delivery.sha256 for a in archived])
            recorded = record(con, [a.delivery for a in archived])
            for (delivery, outcome), item in zip(recorded, archived, strict=True):
                report.bytes += delivery.size
                report.days.add(delivery.received_date)
                if outcome == "received":
                    report.received += 1
                elif outcome == "duplicate":
                    report.duplicates += 1
                else:
                    report.already_recorded += 1
                item.path.unlink(missing_ok=True)  # recorded (the commit is synced): let go
            done += len(files[start : start + BATCH])
            if progress:
                progress(done, len(files))
    _remove_empty_dirs(inbox)
    return report


def _remove_stale_temps(archive: Path) -> None:
    """Drop temp names a killed receiver left in the archive (a copy or a second name of an
    inbox file that is still in the inbox, or already archived): older than an hour, so never
    one a running receiver is using."""
    cutoff = time.time() - STALE_TEMP_S
    for tmp in archive.glob(".incoming.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if tmp.lstat().st_ctime < cutoff:  # ctime: a link or a chmod renews it, mtime not
                tmp.unlink()


def _remove_empty_dirs(inbox: Path) -> None:
    for folder in sorted((p for p in inbox.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
