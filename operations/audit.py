"""The audit log: every change, who made it, the row before and after, and when.

Services call :func:`record` inside the transaction of the change itself, so a change and its
audit row are committed (or rolled back) together.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from operations.db import DbTarget, transaction
from operations.permissions import Action, Actor, require
from operations.schema import AuditEntry, Base

# Never copied into the audit log.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})


def snapshot(record: Base) -> dict[str, Any]:
    """The record's column values as JSON-ready data (secrets left out)."""
    values: dict[str, Any] = {}
    for column in inspect(record).mapper.column_attrs:
        if column.key in SECRET_COLUMNS:
            continue
        value = getattr(record, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


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
    """Add one audit row for a change to ``entity`` ``key`` (flushed with the change)."""
    session.add(
        AuditEntry(
            actor=actor.username,
            actor_user_id=actor.user_id,
            action=action,
            entity=entity,
            entity_key=str(key),
            before=None if before is None else json.dumps(before, sort_keys=True, default=str),
            after=None if after is None else json.dumps(after, sort_keys=True, default=str),
        )
    )


def list_entries(
    db: DbTarget, actor: Actor, *, entity: str | None = None, limit: int = 1000
) -> list[AuditEntry]:
    """The newest audit rows first, optionally for one entity (admins and managers)."""
    require(actor, Action.READ_AUDIT)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    with transaction(db) as session:
        return list(session.scalars(query))
