"""One writer at a time per backup folder (a backup, a prune): an exclusive ``flock``."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from operations.backup.layout import LOCK
from operations.backup.manifest import BackupError


@contextmanager
def locked(backup: Path) -> Iterator[None]:
    """Hold the folder's lock; BackupError at once if another process holds it."""
    backup.mkdir(parents=True, exist_ok=True)
    with (backup / LOCK).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"{backup}: another backup or prune is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
