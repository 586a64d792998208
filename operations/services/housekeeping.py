"""Housekeeping of the operational database: sessions and sign-in counters that have run out.

Run nightly by the maintenance job (``cvd maintenance run``). Removing sessions is audited as
one row per pass (how many went); a counter removed says nothing any more, so it is not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, or_

from operations import audit, throttle
from operations.db import DbTarget, transaction
from operations.permissions import Action, Actor, require
from operations.schema import UserSession, utcnow


def purge_sessions(db: DbTarget, actor: Actor, *, now: datetime | None = None) -> int:
    """Delete the sessions that expired or were revoked before ``now``; how many went."""
    require(actor, Action.MAINTAIN)
    moment = now or utcnow()
    with transaction(db) as session:
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # a DELETE yields a CursorResult; Session.execute is typed as Result
            delete(UserSession)
            .where(or_(UserSession.expires_at <= moment, UserSession.revoked_at <= moment))
            .execution_options(synchronize_session=False)
        )
        removed = result.rowcount
        if removed:
            audit.record(
                session, actor, "purge", "user_sessions", moment.date().isoformat(),
                after={"removed": removed, "expired_or_revoked_before": moment.isoformat()},
            )  # fmt: skip
    return removed


def purge_sign_in_counters(db: DbTarget, actor: Actor, *, now: datetime | None = None) -> int:
    """Delete the sign-in counters that are over (:func:`operations.throttle.purge`)."""
    require(actor, Action.MAINTAIN)
    with transaction(db) as session:
        return throttle.purge(session, now or utcnow())
