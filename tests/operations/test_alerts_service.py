"""Alerts through the service layer: de-duplication, auto-resolve, acknowledge and resolve
(who and when, audited), drivers limited to their routes; on SQLite and on a real PostgreSQL.

Expected values are worked out here from the calls made (one finding raised twice is one alert;
a finding that is not found again on the next evaluation of its rule is resolved), not read back
from the service's own bookkeeping.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from at_once import run_at_once
from ops_world import World
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from operations import db
from operations.errors import Conflict, PermissionDenied
from operations.permissions import SYSTEM, Actor
from operations.schema import Alert, AlertOutbox, AuditEntry, utcnow
from operations.services import alert_subscriptions, alerts
from operations.services.alerts import Finding

SILENT = Finding("silent_machine", "S-A1", "S-A1 silent for 3 days", route="R1")
SILENT_R2 = Finding("silent_machine", "S-A2", "S-A2 silent for 4 days", route="R2")


def _rows(engine: object) -> list[Alert]:
    with db.reading(engine) as session:  # type: ignore[arg-type]  # an Engine
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def _audit(engine: object, action: str) -> list[AuditEntry]:
    with db.reading(engine) as session:  # type: ignore[arg-type]  # an Engine
        query = select(AuditEntry).where(AuditEntry.entity == "alert", AuditEntry.action == action)
        return list(session.scalars(query.order_by(AuditEntry.id)))


def test_raising_twice_keeps_one_open_alert_and_refreshes_it(world: World) -> None:
    first_seen = utcnow() - timedelta(hours=2)
    alert, opened = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT, now=first_seen)
    later = Finding(SILENT.rule, SILENT.subject, "S-A1 silent for 4 days", route="R1")
    again, opened_again = alerts.raise_or_refresh(world.engine, SYSTEM, later)
    assert (opened, opened_again) == (True, False)
    rows = _rows(world.engine)
    assert [r.id for r in rows] == [alert.id] == [again.id]
    assert rows[0].opened_at == first_seen.replace(microsecond=first_seen.microsecond)
    assert rows[0].last_seen_at > first_seen
    assert rows[0].message == "S-A1 silent for 4 days"
    assert len(_audit(world.engine, "raise")) == 1  # a refresh is not a new event


def test_database_refuses_a_second_live_alert_written_around_the_service(world: World) -> None:
    alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)
    now = utcnow().replace(tzinfo=None)
    with pytest.raises(IntegrityError), world.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alerts (rule, subject_key, severity, message, details, state,"
                " opened_at, last_seen_at) VALUES ('silent_machine', 'S-A1', 'warning', 'x',"
                " '{}', 'acknowledged', :now, :now)"
            ),
            {"now": now},
        )


def test_resolved_alert_lets_the_condition_open_a_new_one(world: World) -> None:
    alert, _ = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)
    alerts.resolve(world.engine, world.actors["max"], alert.id)
    second, opened = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)
    assert opened and second.id != alert.id
    assert [r.state for r in _rows(world.engine)] == ["resolved", "open"]


def test_sync_resolves_what_its_rules_no_longer_find_and_leaves_skipped_rules(
    world: World,
) -> None:
    crc = Finding("crc_failures", "abc123", "1 file failed its CRC")
    alerts.sync_findings(
        world.engine, SYSTEM, [SILENT, SILENT_R2, crc], {"silent_machine", "crc_failures"}
    )
    # next run: S-A2 reports again; the CRC rule was skipped (not evaluated) this time
    result = alerts.sync_findings(world.engine, SYSTEM, [SILENT], {"silent_machine"})
    states = {(r.rule, r.subject_key): (r.state, r.resolved_by) for r in _rows(world.engine)}
    assert states == {
        ("silent_machine", "S-A1"): ("open", None),
        ("silent_machine", "S-A2"): ("resolved", "system"),
        ("crc_failures", "abc123"): ("open", None),
    }
    assert len(result.resolved) == 1 and len(result.refreshed) == 1 and result.opened == []


def test_acknowledge_and_resolve_record_who_and_when_in_row_and_audit(world: World) -> None:
    alert, _ = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)
    before = utcnow()
    dave = world.actors["dave"]  # drives R1, the alert's route
    alerts.acknowledge(world.engine, dave, alert.id)
    with pytest.raises(Conflict):
        alerts.acknowledge(world.engine, dave, alert.id)
    alerts.resolve(world.engine, world.actors["max"], alert.id)
    row = _rows(world.engine)[0]
    assert (row.state, row.acknowledged_by, row.resolved_by) == ("resolved", "dave", "max")
    assert before <= row.acknowledged_at <= row.resolved_at <= utcnow()  # type: ignore[operator]  # set above
    [ack] = _audit(world.engine, "acknowledge")
    [res] = _audit(world.engine, "resolve")
    assert (ack.actor, ack.entity_key, res.actor) == ("dave", str(alert.id), "max")
    assert json.loads(ack.after or "{}")["state"] == "acknowledged"
    assert json.loads(res.before or "{}")["state"] == "acknowledged"


def test_driver_sees_and_handles_only_alerts_of_their_routes(world: World) -> None:
    mine, _ = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)
    theirs, _ = alerts.raise_or_refresh(world.engine, SYSTEM, SILENT_R2)
    dave = world.actors["dave"]
    assert [a.id for a in alerts.list_alerts(world.engine, dave)] == [mine.id]
    assert len(alerts.list_alerts(world.engine, world.actors["vic"])) == 2
    with pytest.raises(PermissionDenied):
        alerts.resolve(world.engine, dave, theirs.id)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(world.engine, world.actors["vic"], mine.id)
    assert [r.state for r in _rows(world.engine)] == ["open", "open"]


def test_opening_queues_one_email_per_subscriber_and_a_refresh_none(world: World) -> None:
    dave, ann = world.actors["dave"], world.actors["ann"]
    alert_subscriptions.subscribe(
        world.engine,
        dave,
        kind="route",
        target="R1",
        delivery="immediate",
        email="dave@example.com",
    )
    alert_subscriptions.subscribe(
        world.engine,
        ann,
        kind="rule",
        target="silent_machine",
        delivery="immediate",
        email="ann@example.com",
    )
    alert_subscriptions.subscribe(
        world.engine,
        world.actors["max"],
        kind="rule",
        target="silent_machine",
        delivery="digest",
        email="max@example.com",
    )
    alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)  # R1: dave and ann
    alerts.raise_or_refresh(world.engine, SYSTEM, SILENT)  # refresh: nothing new
    alerts.raise_or_refresh(world.engine, SYSTEM, SILENT_R2)  # R2: ann only
    with db.reading(world.engine) as session:
        queued = sorted(
            (row.recipient, row.subject) for row in session.scalars(select(AlertOutbox))
        )
    assert queued == [
        ("ann@example.com", "[CVD] warning silent_machine: S-A1"),
        ("ann@example.com", "[CVD] warning silent_machine: S-A2"),
        ("dave@example.com", "[CVD] warning silent_machine: S-A1"),
    ]


@pytest.mark.parametrize("bad", ["a@b.com\r\nBcc: x@y.com", "not an address", "x@y"])
def test_subscription_refuses_an_address_that_could_add_a_header(world: World, bad: str) -> None:
    with pytest.raises(Exception, match="email"):
        alert_subscriptions.subscribe(
            world.engine,
            world.actors["ann"],
            kind="rule",
            target="crc_failures",
            delivery="immediate",
            email=bad,
        )


def test_concurrent_raises_keep_one_live_alert_on_postgresql(postgres_url: str) -> None:
    db.upgrade(postgres_url)
    engine = db.connect(postgres_url)
    try:
        errors = run_at_once(lambda _n: alerts.raise_or_refresh(engine, SYSTEM, SILENT), 8)
        assert errors == []
        rows = _rows(engine)
        assert [(r.rule, r.subject_key, r.state) for r in rows] == [
            ("silent_machine", "S-A1", "open")
        ]
        assert len(_audit(engine, "raise")) == 1
        manager = Actor("max", "manager")
        alerts.acknowledge(engine, manager, rows[0].id)
        result = alerts.sync_findings(engine, SYSTEM, [], {"silent_machine"})
        assert result.resolved == [rows[0].id]
        [row] = _rows(engine)
        assert (row.state, row.acknowledged_by, row.resolved_by) == ("resolved", "max", "system")
        assert [e.actor for e in _audit(engine, "resolve")] == ["system"]
        again, opened = alerts.raise_or_refresh(engine, SYSTEM, SILENT)
        assert opened and again.id != row.id  # a resolved alert does not block a new one
    finally:
        engine.dispose()


def test_concurrent_raises_keep_one_live_alert_on_sqlite(world: World) -> None:
    errors = run_at_once(lambda _n: alerts.raise_or_refresh(world.engine, SYSTEM, SILENT), 6)
    assert errors == []
    assert len(_rows(world.engine)) == 1
