"""Build locks: one builder at a time for an arrival day's partitions and for each mart, across
every worker that shares the ledger (and so the lake).

Two workers that each received part of an arrival day both build that day, each from the
deliveries the ledger held when it read it. Left alone, the one that read first may publish
last: a partial partition replaces a complete one while the other's manifest says the day is
complete, and the other's files are gone from the lake for good. Under a day's lock, builds of
that day run one after the other, each reading the ledger after the one before published its
partition and manifest; since the ledger only grows, the last partition holds every delivery
recorded before its build began. The marts take the same care: the refresh that runs last
read everything published before it.

Locks are named (``day-2024-01-31``, ``sales-marts``) and taken in name order, so two holders
of several never wait for each other in a circle. With the ledger on PostgreSQL they are
session-level advisory locks on a connection of their own, which the server releases when the
holder dies (even by SIGKILL: its connection closes); with the embedded SQLite ledger they are
``flock`` locks on files in ``<archive>/locks/``, which the kernel releases likewise.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

from ingest.ledger import ledger_file, pg_conninfo

# classid of pg_advisory_lock(int, int) for build locks ("CVDB"); the objid is the name's hash
PG_BUILD_LOCKS = 0x43564442
LOCKS_DIR = "locks"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def day_lock(day: str) -> str:
    """The lock name of an arrival day's raw partitions."""
    return f"day-{day}"


def _objid(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


@contextmanager
def build_locks(archive: Path, ledger_url: str | None, names: Iterable[str]) -> Iterator[None]:
    """Hold the build locks ``names`` (waiting for any other holder) until the block ends."""
    wanted = sorted(set(names))
    for name in wanted:
        if not _NAME.fullmatch(name):
            raise ValueError(f"build lock name {name!r}: lower-case letters, digits and '-'")
    if not wanted:
        yield
        return
    path = ledger_file(archive, ledger_url)
    if path is None:
        with _postgres_locks(str(ledger_url), wanted):
            yield
    else:
        with _file_locks(path.parent / LOCKS_DIR, wanted):
            yield


@contextmanager
def _postgres_locks(ledger_url: str, names: list[str]) -> Iterator[None]:
    import psycopg  # noqa: PLC0415 - only a ledger on a server needs the driver

    with closing(psycopg.connect(pg_conninfo(ledger_url), autocommit=True)) as con:
        for name in names:
            con.execute("SELECT pg_advisory_lock(%s, %s)", (PG_BUILD_LOCKS, _objid(name)))
        yield
        # closing the connection ends the session, which releases every lock it holds


@contextmanager
def _file_locks(folder: Path, names: list[str]) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for name in names:
            handle = stack.enter_context((folder / f"{name}.lock").open("a"))
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file is closed
        yield
