"""Bytes that arrive as a stream (an HTTP body, an inbox file that cannot be linked) are archived
while they come: written to a private temp name in the archive and hashed chunk by chunk, then
settled at their content address. Memory stays bounded by one chunk whatever the size, and a
stream cut short leaves nothing behind (:meth:`IncomingFile.abort`).

:func:`receive_streams` records such files in the ledger exactly as the inbox's files are
recorded (one transaction for all of them), so a delivery pushed over HTTP is indistinguishable
from one dropped in the inbox, except for its name (``http/...``) and its delivery id, which
depends on the content only: pushing the same bytes again is recognised as the same delivery.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.ledger import Delivery, open_ledger, record

# Names of deliveries pushed over HTTP start with this (the inbox's are paths inside the inbox).
HTTP_PREFIX = "http/"
DEFAULT_NAME = "upload.dex"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class TooLargeError(Exception):
    """The stream went past its size limit; nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit} bytes")


def clean_name(name: str | None) -> str:
    """The sender's file name, reduced to a safe base name (never a path)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")[:100]
    return cleaned or DEFAULT_NAME


def blob_path(archive: Path, sha: str) -> Path:
    """Where the bytes with hash ``sha`` are archived."""
    return archive / sha[:2] / f"{sha}.dex"


def settle(tmp: Path, archive: Path, sha: str) -> str:
    """Move an archived temp file to its content address (or drop it: those bytes are there)."""
    target = blob_path(archive, sha)
    if target.exists():
        tmp.unlink()
        return sha
    try:
        tmp.replace(target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(target)
    return sha


class IncomingFile:
    """One file being written into ``archive`` as its bytes come, at most ``limit`` bytes."""

    def __init__(self, archive: Path, *, limit: int | None = None) -> None:
        archive.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=archive, prefix=".incoming.", suffix=".tmp")
        self.archive = archive
        self.limit = limit
        self.size = 0
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; :class:`TooLargeError` (and nothing kept) past the limit."""
        if self.limit is not None and self.size + len(chunk) > self.limit:
            self.abort()
            raise TooLargeError(self.limit)
        self._digest.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def abort(self) -> None:
        """Drop what was written (a stream cut short, too large, or refused)."""
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def settle(self, *, durable: bool = False) -> tuple[str, int]:
        """Close, optionally sync the bytes to disk, and move them to their content address;
        returns (sha256, size)."""
        try:
            if durable:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            return settle(self._tmp, self.archive, self._digest.hexdigest()), self.size
        except BaseException:
            self.abort()
            raise


@dataclass(frozen=True)
class Streamed:
    """A settled stream: its bytes are archived, its delivery not yet recorded."""

    sha256: str
    size: int
    name: str  # the name the sender gave, shown as ``http/<name>``


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def receive_streams(
    archive: Path,
    files: list[Streamed],
    *,
    now: datetime | None = None,
    ledger_url: str | None = None,
    prefix: str = HTTP_PREFIX,
) -> list[tuple[Delivery, str]]:
    """Record settled streams (their bytes synced by :meth:`IncomingFile.settle`) in the
    ledger, all in one transaction, each as the inbox records a file; returns each delivery as
    recorded and ``received``, ``duplicate`` (bytes received before as another delivery) or
    ``already_recorded`` (these very bytes were pushed before). ``prefix`` starts each name
    (``http/`` for the API, ``upload/`` for the dashboards' Upload DEX page)."""
    for folder in {blob_path(archive, f.sha256).parent for f in files}:
        _sync_dir(folder)  # the blobs' names are on disk before the ledger names them
    at = (now or datetime.now(UTC)).astimezone(UTC)
    deliveries = [
        Delivery(
            # from the content alone: the same bytes pushed twice are one delivery
            hashlib.sha256(f"http\0{f.sha256}".encode()).hexdigest()[:24],
            f.sha256,
            prefix + f.name,
            f.size,
            at.isoformat(),
            at.date().isoformat(),
        )
        for f in files
    ]
    with open_ledger(archive, ledger_url) as con:
        return record(con, deliveries)
