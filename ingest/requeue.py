"""Re-queue a quarantined DEX file: a fixed copy into the inbox, or its arrival day re-parsed.

Shared by `cvd quarantine requeue` and the Data quality page. Permission ``quarantine.requeue``
(admins, managers, SYSTEM) is checked first and every re-queue is audited.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ingest.skip import clean_sha_prefix
from operations import audit
from operations.db import DbTarget, transaction
from operations.errors import NotFound, ValidationError
from operations.permissions import Action, Actor, require

MAX_FIXED_BYTES = 16 * 1024 * 1024


class Folders(Protocol):
    """Where quarantine records are and where a fixed copy goes (``orchestration.settings.Settings``
    is one: the edge passes its settings)."""

    @property
    def quarantine(self) -> Path:
        """``$CVD_HOME/quarantine``: one ``<sha256>.json`` record per quarantined file."""
        ...

    @property
    def inbox(self) -> Path:
        """``$CVD_HOME/inbox``: where the next run picks files up."""
        ...


@dataclass(frozen=True)
class Requeued:
    """What a re-queue did: a fixed copy written to ``target``, or the ``reparse_day``."""

    sha256: str
    original_name: str
    target: Path | None
    reparse_day: str | None


@dataclass(frozen=True)
class QuarantinePage:
    """One page of quarantine records, and how many there are in all."""

    records: list[dict[str, Any]]
    total: int


def _record_names(settings: Folders) -> list[str]:
    """The names of every quarantine record (``<sha256>.json``), sorted; none is read."""
    folder = settings.quarantine
    if not folder.is_dir():
        return []
    return sorted(e.name for e in os.scandir(folder) if e.name.endswith(".json"))


def quarantined(settings: Folders, *, limit: int = 50, offset: int = 0) -> QuarantinePage:
    """Quarantine records ``offset`` to ``offset + limit`` (``$CVD_HOME/quarantine/<sha256>.json``,
    by file name): only the records of the page are read, so a large quarantine costs a listing
    of names, never all the records in memory."""
    names = _record_names(settings)
    page = names[offset : offset + limit]
    records = [json.loads((settings.quarantine / name).read_text()) for name in page]
    return QuarantinePage(records, len(names))


def records_of(settings: Folders, shas: list[str]) -> list[dict[str, Any]]:
    """The quarantine records of the files ``shas`` (full hashes) that have one, in that order."""
    records = []
    for sha in dict.fromkeys(shas):
        path = settings.quarantine / f"{clean_sha_prefix(sha)}.json"
        if len(sha) == 64 and path.is_file():
            records.append(json.loads(path.read_text()))
    return records


def find_record(settings: Folders, sha_prefix: str) -> dict[str, Any]:
    """The one quarantine record whose sha256 starts with ``sha_prefix``."""
    prefix = clean_sha_prefix(sha_prefix)
    names = [n for n in _record_names(settings) if n.startswith(prefix)]
    matches = [json.loads((settings.quarantine / n).read_text()) for n in names[:2]]
    if not matches:
        raise NotFound("quarantined file", prefix)
    if len(matches) > 1:
        raise ValidationError("sha256", prefix, f"matches {len(names)} files: give more digits")
    return matches[0]


def _write_durably(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` under an in-flight name, synced, then renamed (and the
    folder synced): a receiver never takes a half-written file, and a crash after this
    returns cannot lose it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)  # gone once renamed; a half-written one goes too
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def requeue(
    settings: Folders,
    db: DbTarget,
    actor: Actor,
    sha_prefix: str,
    fixed: bytes | None = None,
) -> Requeued:
    """Send a quarantined file through again (audited as ``requeue`` of entity ``quarantine``).

    With ``fixed`` bytes, they are written to the inbox as ``requeued-<unique>-<name>`` (a new
    file, picked up by the next run; two fixed copies of one file never share a name). Without,
    the same bytes are to be parsed again: the caller runs the materialization of the returned
    arrival day (e.g. after a parser upgrade).

    Neither the file nor its audit row is lost: the audit row is written (flushed) first, the
    file is then put durably in place, and only then is the audit committed; if the commit
    fails, the file is taken back out of the inbox.
    """
    require(actor, Action.REQUEUE_QUARANTINE)
    record = find_record(settings, sha_prefix)
    target: Path | None = None
    day: str | None = None
    if fixed is not None:
        if not fixed.strip():
            raise ValidationError("file", record["original_name"], "the fixed copy is empty")
        if len(fixed) > MAX_FIXED_BYTES:
            raise ValidationError("file", record["original_name"], "the fixed copy is too large")
        unique = uuid.uuid4().hex[:12]
        target = settings.inbox / f"requeued-{unique}-{Path(record['original_name']).name}"
    else:
        day = record["received_at"][:10]
    try:
        with transaction(db) as session:
            audit.record(
                session,
                actor,
                "requeue",
                "quarantine",
                record["sha256"],
                after={
                    "original_name": record["original_name"],
                    "fixed_copy": None if target is None else str(target),
                    "reparse_day": day,
                },
            )
            session.flush()  # a database that refuses the row refuses it before the file lands
            if target is not None and fixed is not None:
                _write_durably(target, fixed)
    except BaseException:
        if target is not None:
            target.unlink(missing_ok=True)  # the audit did not commit: neither does the file
        raise
    return Requeued(record["sha256"], record["original_name"], target, day)
