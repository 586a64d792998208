"""Audit retention: archive the oldest audit rows to a file, then remove them, chain intact.

The log is append-only (``operations.audit``). An operator with a retention policy removes rows
older than a cutoff with :func:`archive_and_remove`, in one transaction that holds the chain's
lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the advisory lock appends take):

1. the rows to go, always a prefix in id order and never the newest row (the chain's head), are
   written to ``audit-<first>-<last>.jsonl.gz`` in the archive folder, fsynced, with their hashes
   and the hash the first one chains onto, so :func:`verify_archive` can check the file alone;
2. an ``audit_anchors`` row records the first kept id, the hash of the last removed row, the
   file and its SHA-256; the log's DELETE trigger (migration 0005) lets a row go only when such
   an anchor lies above it, so no DELETE passes without one;
3. the removal is audited (action ``prune``, entity ``audit_log``) and the rows deleted.

``operations.audit.verify_chain`` then starts at the newest anchor. If the transaction fails,
the rows stay and the file written for them is removed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from operations import audit
from operations.db import DbTarget, reading, transaction
from operations.permissions import Action, Actor, require
from operations.schema import AuditAnchor, AuditEntry

ARCHIVE_FORMAT = "cvd-audit-archive/1"
# Every column of a row, in the archive; CHAINED_FIELDS are what its hash covers.
ARCHIVED_FIELDS = ("id", *audit.CHAINED_FIELDS, "row_hash")
PRIVATE_DIR_MODE = 0o700


@dataclass(frozen=True)
class Pruned:
    """What one retention pass did: rows removed (0: nothing old enough), the file written."""

    removed: int
    first_kept_id: int | None = None
    archive: Path | None = None
    archive_bytes: int = 0


@dataclass(frozen=True)
class ArchiveCheck:
    """An archive file checked alone: its rows, the hash it starts from and ends on, and the id
    of the first row whose hash does not match (None: every row matches)."""

    rows: int
    previous_hash: str
    last_hash: str
    broken_id: int | None


def archive_and_remove(
    db: DbTarget, actor: Actor, *, older_than: datetime, archive_dir: Path
) -> Pruned:
    """Archive then remove the audit rows recorded before ``older_than`` (an aware datetime),
    keeping the newest row whatever its age (see the module docstring)."""
    require(actor, Action.MAINTAIN)
    with transaction(db) as session:
        audit.lock_chain(session)
        head = session.scalar(select(func.max(AuditEntry.id)))
        if head is None:
            return Pruned(0)
        young = session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.at >= older_than))
        first_kept = head if young is None else min(young, head)
        anchor = audit.newest_anchor(session)
        previous = audit.GENESIS_HASH if anchor is None else anchor.previous_hash
        going = select(AuditEntry).where(AuditEntry.id < first_kept).order_by(AuditEntry.id)
        span = session.execute(
            select(func.count(), func.min(AuditEntry.id), func.max(AuditEntry.id)).where(
                AuditEntry.id < first_kept
            )
        ).one()
        count, first_id, last_id = span
        if not count:
            return Pruned(0)
        name = f"audit-{first_id:012d}-{last_id:012d}.jsonl.gz"
        path = _write_archive(session, going, previous, archive_dir / name)
        try:
            return _remove(session, actor, path, first_kept, count)
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _remove(session: Session, actor: Actor, path: Path, first_kept: int, count: int) -> Pruned:
    """Anchor, audit, then delete the rows below ``first_kept`` (archived in ``path``)."""
    last_hash = session.scalar(
        select(AuditEntry.row_hash).where(AuditEntry.id < first_kept).order_by(AuditEntry.id.desc())
    )
    anchor = AuditAnchor(
        actor=actor.username[: audit.MAX_ACTOR],
        first_kept_id=first_kept,
        previous_hash=last_hash or audit.GENESIS_HASH,
        removed=count,
        archive=path.name,
        archive_sha256=_sha256(path),
    )
    session.add(anchor)
    session.flush()
    audit.record(
        session, actor, "prune", "audit_log", anchor.id,
        after={
            "removed": count, "first_kept_id": first_kept, "previous_hash": anchor.previous_hash,
            "archive": path.name, "archive_sha256": anchor.archive_sha256,
        },
    )  # fmt: skip
    session.execute(delete(AuditEntry).where(AuditEntry.id < first_kept))
    return Pruned(count, first_kept, path, path.stat().st_size)


def _row(entry: AuditEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in ARCHIVED_FIELDS}
    values["at"] = audit.canonical_time(entry.at)
    return values


def _write_archive(session: Session, going: Select[Any], previous: str, path: Path) -> Path:
    """Write the rows of ``going`` (oldest first) to ``path``, a new gzip JSONL file whose first
    line names the format and the hash the first row chains onto; fsynced before it is named."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as handle:
            header = {"format": ARCHIVE_FORMAT, "previous_hash": previous}
            handle.write(json.dumps(header, sort_keys=True) + "\n")
            for entry in session.scalars(going.execution_options(yield_per=1000)):
                handle.write(json.dumps(_row(entry), ensure_ascii=False, sort_keys=True) + "\n")
        with tmp.open("rb") as synced:
            os.fsync(synced.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_archive(path: Path) -> ArchiveCheck:
    """Recompute the hash chain of an archive file on its own (no database needed)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(next(handle))
        if header.get("format") != ARCHIVE_FORMAT:
            raise ValueError(f"{path}: line 1: not a {ARCHIVE_FORMAT} file")
        previous = start = str(header["previous_hash"])
        rows, broken = 0, None
        for line in handle:
            row = json.loads(line)
            rows += 1
            content = dict(row, at=datetime.fromisoformat(row["at"]))
            if broken is None and row["row_hash"] != audit.chain_hash(previous, content):
                broken = int(row["id"])
            previous = row["row_hash"]
    return ArchiveCheck(rows, start, previous, broken)


def verify_archives(db: DbTarget, folder: Path) -> list[str]:
    """Problems with the archive files in ``folder`` (empty: all is well). Every anchor's file
    must be there with the SHA-256 recorded; each file's own chain must hold, start where the
    previous file ended (the first at the genesis hash) and the last end where the log now
    starts (the newest anchor's ``previous_hash``)."""
    with reading(db) as session:
        anchors = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
    problems: list[str] = []
    previous, before = audit.GENESIS_HASH, "the genesis hash"
    for anchor in anchors:
        path = folder / anchor.archive
        if not path.is_file():
            problems.append(f"{path}: missing (anchor {anchor.id})")
            continue
        if _sha256(path) != anchor.archive_sha256:
            problems.append(f"{path}: changed since anchor {anchor.id} recorded its SHA-256")
        try:
            check = verify_archive(path)
        except (ValueError, KeyError, OSError) as exc:  # not JSON, a field missing, not gzip
            problems.append(f"{path}: unreadable: {exc}")
            continue
        if check.broken_id is not None:
            problems.append(f"{path}: row {check.broken_id} does not match its hash chain")
        if check.previous_hash != previous:
            problems.append(f"{path}: does not start where {before} ends")
        if check.last_hash != anchor.previous_hash:
            problems.append(f"{path}: does not end where anchor {anchor.id} says the log starts")
        previous, before = check.last_hash, path.name
    return problems
