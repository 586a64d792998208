"""Skip a problem file: its content stays archived (nothing received is ever deleted) but the
raw tables list its deliveries as ``skipped`` instead of parsing them; unskip undoes it.

Shared by `cvd quarantine skip|unskip`. Permission ``quarantine.requeue`` is checked first and
every change is audited (action ``skip`` or ``unskip`` of entity ``quarantine``, with the OS
user who ran it). The ledger change is made in a transaction that commits only after the audit
row is committed, so no skip ever goes unaudited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.ledger import match_content, open_ledger, set_skipped
from operations import audit
from operations import validation as check
from operations.db import DbTarget, transaction
from operations.errors import NotFound, ValidationError
from operations.permissions import Action, Actor, require

MAX_REASON = 200


def clean_sha_prefix(sha_prefix: str) -> str:
    """``sha_prefix`` lower-cased, refused unless it is 1 to 64 hexadecimal digits."""
    prefix = sha_prefix.strip().lower()
    if not prefix or len(prefix) > 64 or any(c not in "0123456789abcdef" for c in prefix):
        raise ValidationError("sha256", sha_prefix[:80], "must be 1 to 64 hexadecimal digits")
    return prefix


@dataclass(frozen=True)
class SkipChange:
    """What a skip or unskip did: the content and the arrival days now stale (to rebuild)."""

    sha256: str
    skipped: bool
    stale_days: list[str]


def set_skip(
    archive: Path,
    db: DbTarget,
    actor: Actor,
    sha_prefix: str,
    *,
    reason: str | None,
    os_user: str,
    ledger_url: str | None = None,
) -> SkipChange:
    """Skip the archived content ``sha_prefix`` (``reason`` given) or unskip it (None);
    ``ledger_url``: the ledger's database (None: the SQLite file in the archive)."""
    require(actor, Action.REQUEUE_QUARANTINE)
    prefix = clean_sha_prefix(sha_prefix)
    why = None if reason is None else check.name("reason", reason, max_length=MAX_REASON)
    action = "unskip" if why is None else "skip"
    # the ledger's commit comes after the audit row's (the end of `writing`)
    with open_ledger(archive, ledger_url) as con, con.writing():
        try:
            sha = match_content(con, prefix)
        except ValueError as error:
            raise ValidationError("sha256", prefix, str(error)) from None
        if sha is None:
            raise NotFound("archived file", prefix)
        at = datetime.now(UTC).isoformat()
        days = set_skipped(con, sha, reason=why, by=os_user, at=at)
        with transaction(db) as session:
            audit.record(
                session,
                actor,
                action,
                "quarantine",
                sha,
                after={"reason": why, "os_user": os_user, "arrival_days": days},
            )
    return SkipChange(sha, why is not None, days)
