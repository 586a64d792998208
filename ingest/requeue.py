"""Re-queue a quarantined DEX file: a fixed copy into the inbox, or its arrival day re-parsed.

Shared by `cvd quarantine requeue` and the Data quality page. Permission ``quarantine.requeue``
(admins, managers, SYSTEM) is checked first and every re-queue is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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


def quarantined(settings: Folders) -> list[dict[str, Any]]:
    """Every quarantine record (``$CVD_HOME/quarantine/<sha256>.json``), by file name."""
    folder = settings.quarantine
    records = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [json.loads(path.read_text()) for path in records]


def find_record(settings: Folders, sha_prefix: str) -> dict[str, Any]:
    """The one quarantine record whose sha256 starts with ``sha_prefix``."""
    prefix = sha_prefix.strip().lower()
    if not prefix or len(prefix) > 64 or any(c not in "0123456789abcdef" for c in prefix):
        raise ValidationError("sha256", sha_prefix[:80], "must be 1 to 64 hexadecimal digits")
    matches = [r for r in quarantined(settings) if r["sha256"].startswith(prefix)]
    if not matches:
        raise NotFound("quarantined file", prefix)
    if len(matches) > 1:
        raise ValidationError("sha256", prefix, f"matches {len(matches)} files: give more digits")
    return matches[0]


def requeue(
    settings: Folders,
    db: DbTarget,
    actor: Actor,
    sha_prefix: str,
    fixed: bytes | None = None,
) -> Requeued:
    """Send a quarantined file through again (audited as ``requeue`` of entity ``quarantine``).

    With ``fixed`` bytes, they are written to the inbox as ``requeued-<name>`` (a new file, picked
    up by the next run). Without, the same bytes are to be parsed again: the caller runs the
    materialization of the returned arrival day (e.g. after a parser upgrade).
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
        settings.inbox.mkdir(parents=True, exist_ok=True)
        target = settings.inbox / f"requeued-{Path(record['original_name']).name}"
        # written under an in-flight name, then renamed: a receiver running meanwhile never
        # takes (and hard-links into the archive) a file whose bytes are still being written
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(fixed)
        partial.replace(target)
    else:
        day = record["received_at"][:10]
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
    return Requeued(record["sha256"], record["original_name"], target, day)
