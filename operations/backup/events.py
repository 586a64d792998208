"""Backups and restores in the audit log of the operational database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from operations import audit
from operations.db import transaction
from operations.permissions import Actor

BACKUP_ENTITY = "backup"


def record_event(engine: Engine, actor: Actor, action: str, snapshot: str, **details: Any) -> None:
    """Append one audit row: ``action`` (``backup``, ``restore``, ``prune``) of ``snapshot``."""
    with transaction(engine) as session:
        audit.record(session, actor, action, BACKUP_ENTITY, snapshot, after=details)
