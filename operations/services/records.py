"""Helpers the services share: look-ups that skip soft-deleted rows, upsert by natural key,
soft delete, each audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from operations import audit
from operations.errors import NotFound
from operations.permissions import Actor
from operations.schema import Base, SoftDelete, utcnow

Outcome = Literal["created", "updated", "unchanged"]
RecordT = TypeVar("RecordT", bound=Base)


@dataclass(frozen=True)
class Saved(Generic[RecordT]):
    """A record written by natural key, and whether it was created, updated or left as it was."""

    record: RecordT
    outcome: Outcome


def live(session: Session, model: type[RecordT], entity: str, **key: object) -> RecordT:
    """The row of ``model`` matching ``key`` and not soft-deleted, else :class:`NotFound`."""
    found = session.scalars(select(model).filter_by(**key)).one_or_none()
    if found is None or getattr(found, "deleted_at", None) is not None:
        shown = next(iter(key.values())) if len(key) == 1 else key
        raise NotFound(entity, shown)
    return found


def upsert(
    session: Session,
    actor: Actor,
    model: type[RecordT],
    entity: str,
    *,
    key: dict[str, Any],
    values: dict[str, Any],
) -> Saved[RecordT]:
    """Create the row with natural ``key``, or bring it to ``values`` (restoring a deleted one)."""
    found = session.scalars(select(model).filter_by(**key)).one_or_none()
    key_text = "/".join(str(v) for v in key.values())
    if found is None:
        created = model(**key, **values)
        session.add(created)
        session.flush()
        audit.record(session, actor, "create", entity, key_text, after=audit.snapshot(created))
        return Saved(created, "created")
    changes = {name: v for name, v in values.items() if getattr(found, name) != v}
    if getattr(found, "deleted_at", None) is not None:
        changes |= {"deleted_at": None, "deleted_by": None}
    if not changes:
        return Saved(found, "unchanged")
    before = audit.snapshot(found)
    for name, value in changes.items():
        setattr(found, name, value)
    session.flush()
    audit.record(
        session, actor, "update", entity, key_text, before=before, after=audit.snapshot(found)
    )
    return Saved(found, "updated")


def soft_delete(session: Session, actor: Actor, record: Base, entity: str, key: object) -> None:
    """Mark ``record`` deleted by ``actor`` now; it stays in the table and in the audit log."""
    if not isinstance(record, SoftDelete):  # a programming error: only these tables keep rows
        raise TypeError(f"{entity} records cannot be soft-deleted")
    before = audit.snapshot(record)
    record.deleted_at = utcnow()
    record.deleted_by = actor.username
    session.flush()
    audit.record(session, actor, "delete", entity, key, before=before, after=audit.snapshot(record))
