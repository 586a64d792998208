"""The audit log: every change, who made it, from where, the row before and after, and when.

Services call :func:`record` inside the transaction of the change itself, so a change and its
audit row are committed (or rolled back) together. The front end says where a request came from
once per request with :func:`set_origin` (address, user agent), or for a block with
:func:`origin`; every row recorded in that thread or task meanwhile carries it.

The log is append-only (database triggers refuse UPDATE and DELETE) and hash-chained: each row's
``row_hash`` is the SHA-256 of the previous row's hash and the row's canonical content, so an
edit or a removal made behind the triggers' back is found by :func:`verify_chain`. Appends are
serialised so that two writers never chain onto the same row: on SQLite the write transaction
already holds the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL :func:`record`
takes a transaction-scoped advisory lock before it reads the chain's head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from operations.db import DbTarget, reading
from operations.permissions import Action, Actor, require
from operations.schema import AuditAnchor, AuditEntry, Base, utcnow

# Never copied into the audit log.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})
# The previous hash of the first row.
GENESIS_HASH = "0" * 64
# The content a row's hash covers, in this order (the id is not covered: order is the chain).
CHAINED_FIELDS = (
    "at",
    "actor",
    "actor_user_id",
    "action",
    "entity",
    "entity_key",
    "before",
    "after",
    "address",
    "user_agent",
)
# pg_advisory_xact_lock key serialising appends to the chain ("CVDAUDIT" in ASCII, as a bigint).
CHAIN_LOCK_KEY = int.from_bytes(b"CVDAUDIT", "big") - 2**63
MAX_ADDRESS = 64
MAX_USER_AGENT = 500
MAX_ACTOR = 64
MAX_KEY = 200


@dataclass(frozen=True)
class Origin:
    """Where the current request came from (unknown parts are None)."""

    address: str | None = None
    user_agent: str | None = None


_NOWHERE = Origin()
_origin: ContextVar[Origin | None] = ContextVar("cvd_audit_origin", default=None)


def set_origin(address: str | None, user_agent: str | None) -> None:
    """Say where the current request comes from; later rows in this thread/task record it."""
    _origin.set(Origin(_clip(address, MAX_ADDRESS), _clip(user_agent, MAX_USER_AGENT)))


@contextmanager
def origin(address: str | None, user_agent: str | None) -> Iterator[None]:
    """Within the block, rows record ``address`` and ``user_agent``; the previous origin after."""
    token = _origin.set(Origin(_clip(address, MAX_ADDRESS), _clip(user_agent, MAX_USER_AGENT)))
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> Origin:
    """The origin set for this thread or task (empty when none was set)."""
    return _origin.get() or _NOWHERE


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def snapshot(record: Base) -> dict[str, Any]:
    """The record's column values as JSON-ready data (secrets left out)."""
    values: dict[str, Any] = {}
    for column in inspect(record).mapper.column_attrs:
        if column.key in SECRET_COLUMNS:
            continue
        value = getattr(record, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


def canonical_time(value: datetime) -> str:
    """``value`` as the text the chain hashes (naive UTC, microseconds)."""
    # Stored naive UTC; read back aware (models) or naive (raw SQL): both give the same text.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def chain_hash(previous: str, content: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of ``previous`` and the canonical JSON of the row's chained fields."""
    values = [
        canonical_time(content["at"]) if name == "at" else content[name] for name in CHAINED_FIELDS
    ]
    canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Lock the chain for this transaction: appends and retention wait for each other (SQLite's
    ``BEGIN IMMEDIATE`` already holds the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def _chain_head(session: Session) -> str:
    """The newest row's hash, with the chain locked for this transaction."""
    lock_chain(session)
    head = session.scalars(
        select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return head or GENESIS_HASH


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    key: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit row for a change to ``entity`` ``key`` (flushed with the change)."""
    origin = current_origin()
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.username[:MAX_ACTOR],
        actor_user_id=actor.user_id,
        action=action,
        entity=entity,
        entity_key=str(key)[:MAX_KEY],
        before=None if before is None else json.dumps(before, sort_keys=True, default=str),
        after=None if after is None else json.dumps(after, sort_keys=True, default=str),
        address=origin.address,
        user_agent=origin.user_agent,
    )
    previous = _chain_head(session)  # flushes the change first, then locks and reads the head
    entry.row_hash = chain_hash(previous, {name: getattr(entry, name) for name in CHAINED_FIELDS})
    session.add(entry)
    session.flush()


def newest_anchor(session: Session) -> AuditAnchor | None:
    """The anchor the chain starts at now (None: it starts at the genesis hash)."""
    return session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1)).first()


def verify_chain(db: DbTarget) -> int | None:
    """The id of the first row whose hash does not match its content and predecessor, or None.

    A row edited in place fails its own check; a row removed makes its successor fail. After
    retention removed the oldest rows (``operations.retention``) the chain starts at the newest
    anchor: its first kept row chains onto the anchor's ``previous_hash``, and a row below it
    that is still there fails (an anchor is written in the same transaction as the removal).
    """
    with reading(db) as session:
        anchor = newest_anchor(session)
        previous = GENESIS_HASH if anchor is None else anchor.previous_hash
        first_kept = 0 if anchor is None else anchor.first_kept_id
        rows = session.execute(
            select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
        )
        for entry in rows.scalars():
            content = {name: getattr(entry, name) for name in CHAINED_FIELDS}
            if entry.id < first_kept or entry.row_hash != chain_hash(previous, content):
                return entry.id
            previous = entry.row_hash
    return None


def list_entries(
    db: DbTarget,
    actor: Actor,
    *,
    entity: str | None = None,
    actions: Collection[str] | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """The newest audit rows first, optionally for one entity or some actions (admins, managers)."""
    require(actor, Action.READ_AUDIT)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if actions is not None:
        query = query.where(AuditEntry.action.in_(list(actions)))
    with reading(db) as session:
        return list(session.scalars(query))
