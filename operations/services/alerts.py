"""Alerts: raised (or refreshed) by the rules' run, acknowledged and resolved by people.

One live alert per (rule, subject): :func:`raise_or_refresh` refreshes the live one's
``last_seen_at`` (and message), else opens a new one; the partial unique index
``uq_alerts_one_live``
makes that hold even when two runs race (the loser's insert fails and it refreshes instead), on
SQLite and PostgreSQL alike. :func:`sync_findings` does that for a run's findings and resolves
(``resolved_by`` = the run's actor) the live alerts of the rules it evaluated that were not found
again. Opening an alert queues one email per immediate subscriber in the same transaction (see
``operations.services.alert_outbox``). Opening, acknowledging and resolving are audited; a refresh
is not (it would add a row per alert per run and says nothing new).

Drivers see and handle only the alerts of their own routes (``route_code``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from operations import audit
from operations import validation as check
from operations.db import DbTarget, reading, transaction
from operations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from operations.notify.message import one_line
from operations.permissions import Action, Actor, Scope, require
from operations.schema import ALERT_SEVERITIES, Alert, Route, utcnow
from operations.services import alert_outbox

LIVE_STATES = ("open", "acknowledged")
MAX_MESSAGE = 2000
MAX_SUBJECT = 200
ENTITY = "alert"


@dataclass(frozen=True)
class Finding:
    """What a rule found about one subject (a machine, a slot, a file, the nightly run)."""

    rule: str
    subject: str
    message: str
    severity: str = "warning"
    route: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncResult:
    """What :func:`sync_findings` did: alert ids opened, refreshed and auto-resolved."""

    opened: list[int]
    refreshed: list[int]
    resolved: list[int]


def _live(session: Session, rule: str, subject: str) -> Alert | None:
    query = select(Alert).where(
        Alert.rule == rule, Alert.subject_key == subject, Alert.state.in_(LIVE_STATES)
    )
    return session.scalars(query.with_for_update()).one_or_none()


def _subject(value: object) -> str:
    # any text the data holds (a serial, a file name) on one line: refusing odd characters here
    # would stop the whole run's findings for one strange serial
    subject = one_line(value, MAX_SUBJECT)
    if not subject:
        raise ValidationError("subject", value, "must not be empty")
    return subject


def _clean(finding: Finding) -> Finding:
    return Finding(
        rule=check.code("rule", finding.rule),
        subject=_subject(finding.subject),
        message=str(finding.message)[:MAX_MESSAGE],
        severity=check.choice("severity", finding.severity, ALERT_SEVERITIES),
        route=None if finding.route is None else str(finding.route)[:64],
        details=dict(finding.details),
    )


def _refresh(alert: Alert, finding: Finding, now: datetime) -> None:
    alert.last_seen_at = now
    alert.message = finding.message
    alert.details = json.dumps(finding.details, sort_keys=True, default=str)
    alert.severity = finding.severity


def _raise(session: Session, actor: Actor, finding: Finding, now: datetime) -> tuple[Alert, bool]:
    found = _live(session, finding.rule, finding.subject)
    if found is not None:
        _refresh(found, finding, now)
        return found, False
    alert = Alert(
        rule=finding.rule,
        subject_key=finding.subject,
        route_code=finding.route,
        severity=finding.severity,
        message=finding.message,
        details=json.dumps(finding.details, sort_keys=True, default=str),
        state="open",
        opened_at=now,
        last_seen_at=now,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        # another run opened it between our look and our insert: refresh that one instead
        found = _live(session, finding.rule, finding.subject)
        if found is None:
            raise
        _refresh(found, finding, now)
        return found, False
    audit.record(session, actor, "raise", ENTITY, alert.id, after=audit.snapshot(alert))
    alert_outbox.queue_for_alert(session, alert)
    return alert, True


def raise_or_refresh(
    db: DbTarget, actor: Actor, finding: Finding, now: datetime | None = None
) -> tuple[Alert, bool]:
    """Open an alert for ``finding``, or refresh the live one; True when it was opened."""
    require(actor, Action.RAISE_ALERT)
    clean = _clean(finding)
    with transaction(db) as session:
        return _raise(session, actor, clean, now or utcnow())


def sync_findings(
    db: DbTarget,
    actor: Actor,
    findings: Sequence[Finding],
    evaluated_rules: Collection[str],
    now: datetime | None = None,
) -> SyncResult:
    """Raise or refresh every finding; resolve the live alerts of ``evaluated_rules`` not found.

    A rule that was skipped (its table missing, its input absent) is not in ``evaluated_rules``,
    so its alerts stay as they are. One transaction: all of it or none.
    """
    require(actor, Action.RAISE_ALERT)
    moment = now or utcnow()
    clean = [_clean(finding) for finding in findings]
    opened: list[int] = []
    refreshed: list[int] = []
    resolved: list[int] = []
    with transaction(db) as session:
        seen: set[tuple[str, str]] = set()
        for finding in clean:
            alert, new = _raise(session, actor, finding, moment)
            (opened if new else refreshed).append(alert.id)
            seen.add((finding.rule, finding.subject))
        stale = select(Alert).where(
            Alert.rule.in_(list(evaluated_rules)), Alert.state.in_(LIVE_STATES)
        )
        for alert in session.scalars(stale.order_by(Alert.id)).all():
            if (alert.rule, alert.subject_key) not in seen:
                _close(session, actor, alert, moment)
                resolved.append(alert.id)
    return SyncResult(opened, refreshed, resolved)


def _own_routes(session: Session, actor: Actor) -> list[str]:
    return list(
        session.scalars(
            select(Route.code).where(
                Route.driver_username == actor.username, Route.deleted_at.is_(None)
            )
        )
    )


def _get(session: Session, actor: Actor, action: Action, alert_id: object) -> Alert:
    scope = require(actor, action)
    number = check.integer("alert_id", alert_id, minimum=1, maximum=2**31 - 1)
    alert = session.get(Alert, number)
    if alert is None:
        raise NotFound(ENTITY, number)
    if scope is Scope.OWN_ROUTES and alert.route_code not in _own_routes(session, actor):
        raise PermissionDenied(actor.username, actor.role, action.value, "not their route")
    return alert


def _close(session: Session, actor: Actor, alert: Alert, now: datetime) -> None:
    before = audit.snapshot(alert)
    alert.state, alert.resolved_by, alert.resolved_at = "resolved", actor.username, now
    session.flush()
    audit.record(
        session, actor, "resolve", ENTITY, alert.id, before=before, after=audit.snapshot(alert)
    )


def acknowledge(db: DbTarget, actor: Actor, alert_id: object) -> Alert:
    """Mark an open alert as seen by ``actor`` (it stays live until resolved)."""
    with transaction(db) as session:
        alert = _get(session, actor, Action.HANDLE_ALERT, alert_id)
        if alert.state != "open":
            raise Conflict(f"alert {alert.id} is {alert.state}, not open")
        before = audit.snapshot(alert)
        alert.state, alert.acknowledged_by, alert.acknowledged_at = (
            "acknowledged",
            actor.username,
            utcnow(),
        )
        session.flush()
        audit.record(
            session,
            actor,
            "acknowledge",
            ENTITY,
            alert.id,
            before=before,
            after=audit.snapshot(alert),
        )
        return alert


def resolve(db: DbTarget, actor: Actor, alert_id: object) -> Alert:
    """Close a live alert; if the condition is still there, the next run opens a new one."""
    with transaction(db) as session:
        alert = _get(session, actor, Action.HANDLE_ALERT, alert_id)
        if alert.state == "resolved":
            raise Conflict(f"alert {alert.id} is already resolved")
        _close(session, actor, alert, utcnow())
        return alert


def list_alerts(
    db: DbTarget, actor: Actor, states: Collection[str] = LIVE_STATES, limit: int = 500
) -> list[Alert]:
    """Alerts in ``states``, newest first; a driver gets only their routes' alerts."""
    scope = require(actor, Action.READ_ALERTS)
    with reading(db) as session:
        query = select(Alert).where(Alert.state.in_(list(states)))
        if scope is Scope.OWN_ROUTES:
            query = query.where(Alert.route_code.in_(_own_routes(session, actor)))
        return list(
            session.scalars(query.order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit))
        )
