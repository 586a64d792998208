"""The alert email outbox: queued with the alert, sent by :func:`drain`, never lost.

A message is one row per alert and address (``dedup_key`` unique), or one digest per address and
day. :func:`drain` claims due rows (pushing their ``next_attempt_at`` past a lease, so a second
drainer running at once leaves them alone), sends each outside any transaction, then marks it
``sent``; a failure records the error and retries later with exponential backoff (capped), and
the row stays ``queued`` for as long as it takes. Delivery is at least once: a crash between the
server's acceptance and the ``sent`` mark sends that one message again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from operations.db import DbTarget, transaction
from operations.notify import message
from operations.notify.smtp import Email, SendFailed
from operations.permissions import MATRIX, Action, Actor, Scope, require
from operations.schema import Alert, AlertOutbox, AlertSubscription, Route, User, utcnow

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
MAX_ERROR = 1000


@dataclass(frozen=True)
class DrainResult:
    """Message ids sent and failed (still queued) in one :func:`drain`."""

    sent: list[int]
    failed: list[int]


def _text(alert: Alert) -> message.AlertText:
    return message.AlertText(
        alert_id=alert.id,
        rule=alert.rule,
        subject_key=alert.subject_key,
        severity=alert.severity,
        message=alert.message,
        route_code=alert.route_code,
        details=json.loads(alert.details or "{}"),
        opened_at=alert.opened_at.isoformat(timespec="seconds"),
    )


def _matching(alert: Alert) -> ColumnElement[bool]:
    return or_(
        (AlertSubscription.kind == "rule") & (AlertSubscription.target == alert.rule),
        (AlertSubscription.kind == "route")
        & (AlertSubscription.target == (alert.route_code or "")),
    )


def may_read(session: Session, user: User, alert: Alert) -> bool:
    """Whether ``user`` may see ``alert`` (a driver: only their routes'; nobody deactivated), so
    a subscription never mails an alert its subscriber could not open on the Alerts page."""
    scope = MATRIX.get(user.role, {}).get(Action.READ_ALERTS)
    if scope is None or user.deleted_at is not None:
        return False
    if scope is Scope.ALL:
        return True
    routes = select(Route.code).where(
        Route.driver_username == user.username, Route.deleted_at.is_(None)
    )
    return alert.route_code is not None and alert.route_code in set(session.scalars(routes))


def queue_for_alert(session: Session, alert: Alert) -> list[str]:
    """Queue one email per immediate subscriber of a just-opened alert (in its transaction)."""
    query = select(AlertSubscription).where(
        AlertSubscription.delivery == "immediate",
        _matching(alert),
    )
    addresses = sorted(
        {sub.email for sub in session.scalars(query) if may_read(session, sub.user, alert)}
    )
    text = _text(alert)
    for address in addresses:
        session.add(
            AlertOutbox(
                dedup_key=f"alert:{alert.id}:{address}",
                alert_id=alert.id,
                recipient=address,
                subject=message.alert_subject(text),
                body=message.alert_body(text),
                next_attempt_at=alert.opened_at,
            )
        )
    session.flush()
    return addresses


def queue_digests(db: DbTarget, actor: Actor, day: date) -> list[str]:
    """Queue each digest subscriber's alerts of ``day`` (live now, or opened that day): one email
    per address and day, however often this runs. Returns the addresses queued."""
    require(actor, Action.RAISE_ALERT)
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    queued: list[str] = []
    with transaction(db) as session:
        subscriptions = session.scalars(
            select(AlertSubscription).where(AlertSubscription.delivery == "digest")
        ).all()
        by_address: dict[str, list[AlertSubscription]] = {}
        for sub in subscriptions:
            by_address.setdefault(sub.email, []).append(sub)
        candidates = session.scalars(
            select(Alert)
            .where(
                or_(
                    Alert.state.in_(("open", "acknowledged")),
                    (Alert.opened_at >= start) & (Alert.opened_at < end),
                ),
                Alert.opened_at < end,
            )
            .order_by(Alert.opened_at, Alert.id)
        ).all()
        for address, subs in sorted(by_address.items()):
            key = f"digest:{day.isoformat()}:{address}"
            if session.scalars(select(AlertOutbox.id).filter_by(dedup_key=key)).first():
                continue
            picked = [
                a
                for a in candidates
                if any(_wants(sub, a) and may_read(session, sub.user, a) for sub in subs)
            ]
            if not picked:
                continue
            texts = [_text(a) for a in picked]
            session.add(
                AlertOutbox(
                    dedup_key=key,
                    recipient=address,
                    subject=message.digest_subject(day.isoformat(), len(texts)),
                    body=message.digest_body(day.isoformat(), texts),
                    next_attempt_at=utcnow(),
                )
            )
            queued.append(address)
    return queued


def _wants(sub: AlertSubscription, alert: Alert) -> bool:
    if sub.kind == "rule":
        return sub.target == alert.rule
    return sub.target == alert.route_code


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` + 1: one minute, doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def _claim(db: DbTarget, now: datetime, limit: int) -> list[tuple[int, Email]]:
    with transaction(db) as session:
        due = (
            select(AlertOutbox)
            .where(AlertOutbox.state == "queued", AlertOutbox.next_attempt_at <= now)
            .order_by(AlertOutbox.next_attempt_at, AlertOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = []
        for row in session.scalars(due).all():
            row.next_attempt_at = now + LEASE
            claimed.append((row.id, Email(row.recipient, row.subject, row.body)))
        return claimed


def drain(
    db: DbTarget,
    actor: Actor,
    send: Callable[[Email], None],
    now: datetime | None = None,
    limit: int = 200,
) -> DrainResult:
    """Send the due queued messages with ``send``; a :class:`SendFailed` keeps one queued."""
    require(actor, Action.RAISE_ALERT)
    moment = now or utcnow()
    result = DrainResult([], [])
    for row_id, email in _claim(db, moment, limit):
        try:
            send(email)
        except SendFailed as error:
            with transaction(db) as session:
                row = session.get_one(AlertOutbox, row_id)
                row.attempts += 1
                row.last_error = str(error)[:MAX_ERROR]
                row.next_attempt_at = moment + backoff(row.attempts)
            result.failed.append(row_id)
            continue
        with transaction(db) as session:
            row = session.get_one(AlertOutbox, row_id)
            row.attempts += 1
            row.state, row.sent_at, row.last_error = "sent", utcnow(), None
        result.sent.append(row_id)
    return result
