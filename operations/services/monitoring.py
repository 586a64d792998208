"""Figures for monitoring (the API's ``/metrics``): counts over the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from operations.db import DbTarget, transaction
from operations.permissions import Action, Actor, require
from operations.schema import AuditEntry

SIGN_IN_FAILED = "login_failed"  # the action operations.auth audits on a wrong password


def count_actions(db: DbTarget, actor: Actor, actions: tuple[str, ...]) -> dict[str, int]:
    """How many audit rows each of ``actions`` has (0 for none)."""
    require(actor, Action.READ_AUDIT)
    query = (
        select(AuditEntry.action, func.count())
        .where(AuditEntry.action.in_(actions))
        .group_by(AuditEntry.action)
    )
    with transaction(db) as session:
        found = dict(session.execute(query).tuples().all())
    return {action: int(found.get(action, 0)) for action in actions}
