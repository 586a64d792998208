"""Alert emails to a real SMTP server on the loopback (aiosmtpd): delivered once; with the server
down they stay queued, are retried after the backoff and then delivered exactly once; a digest
groups a user's digest subscriptions; data cannot add a header."""

from __future__ import annotations

from datetime import timedelta

from ops_world import World
from sqlalchemy import select

from operations import db
from operations.notify.smtp import SmtpConfig, SmtpSender
from operations.permissions import SYSTEM
from operations.schema import AlertOutbox, utcnow
from operations.services import alert_outbox, alert_subscriptions, alerts
from operations.services.alerts import Finding
from tests.smtp_server import free_loopback_port, smtp_server


def _outbox(world: World) -> list[AlertOutbox]:
    with db.reading(world.engine) as session:
        return list(session.scalars(select(AlertOutbox).order_by(AlertOutbox.id)))


def _subscribe(world: World, user: str, target: str, delivery: str = "immediate") -> None:
    kind = "route" if target.startswith("R") else "rule"
    alert_subscriptions.subscribe(
        world.engine,
        world.actors[user],
        kind=kind,
        target=target,
        delivery=delivery,
        email=f"{user}@example.com",
    )


def test_alert_is_delivered_once_to_each_subscriber(world: World) -> None:
    _subscribe(world, "dave", "R1")
    _subscribe(world, "ann", "silent_machine")
    port = free_loopback_port()
    send = SmtpSender(SmtpConfig(host="127.0.0.1", port=port, sender="cvd@example.com"))
    with smtp_server(port) as inbox:
        alerts.raise_or_refresh(
            world.engine, SYSTEM, Finding("silent_machine", "S-A1", "silent 3 days", route="R1")
        )
        first = alert_outbox.drain(world.engine, SYSTEM, send)
        second = alert_outbox.drain(world.engine, SYSTEM, send, now=utcnow() + timedelta(days=1))
    assert (len(first.sent), first.failed, second.sent) == (2, [], [])
    got = sorted((rcpt, msg["Subject"], msg["From"]) for rcpt, msg in inbox.received)
    assert got == [
        (["ann@example.com"], "[CVD] warning silent_machine: S-A1", "cvd@example.com"),
        (["dave@example.com"], "[CVD] warning silent_machine: S-A1", "cvd@example.com"),
    ]
    assert "silent 3 days" in inbox.received[0][1].get_content()


def test_server_down_keeps_the_message_queued_and_a_retry_delivers_it_once(
    world: World,
) -> None:
    _subscribe(world, "ann", "crc_failures")
    port = free_loopback_port()  # nothing listens there yet: the server is down
    send = SmtpSender(SmtpConfig(host="127.0.0.1", port=port, timeout_s=5))
    start = utcnow()
    alerts.raise_or_refresh(world.engine, SYSTEM, Finding("crc_failures", "f1", "CRC"), now=start)
    down = alert_outbox.drain(world.engine, SYSTEM, send, now=start)
    [row] = _outbox(world)
    assert (len(down.failed), down.sent, row.state, row.attempts) == (1, [], "queued", 1)
    assert row.last_error and str(port) in row.last_error
    assert row.next_attempt_at == start + timedelta(minutes=1)  # the first backoff
    with smtp_server(port) as inbox:
        early = alert_outbox.drain(world.engine, SYSTEM, send, now=start + timedelta(seconds=30))
        retry = alert_outbox.drain(world.engine, SYSTEM, send, now=start + timedelta(minutes=2))
        again = alert_outbox.drain(world.engine, SYSTEM, send, now=start + timedelta(hours=3))
    assert (early.sent, early.failed, len(retry.sent), again.sent) == ([], [], 1, [])
    assert [(rcpt, msg["Subject"]) for rcpt, msg in inbox.received] == [
        (["ann@example.com"], "[CVD] warning crc_failures: f1")
    ]
    [row] = _outbox(world)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)


def test_data_cannot_add_a_header_to_the_email(world: World) -> None:
    _subscribe(world, "ann", "crc_failures")
    port = free_loopback_port()
    evil = "x.dex\r\nBcc: thief@example.net\r\nX-Evil: 1"
    with smtp_server(port) as inbox:
        alerts.raise_or_refresh(
            world.engine, SYSTEM, Finding("crc_failures", "f2", f"file {evil} failed")
        )
        alert_outbox.drain(world.engine, SYSTEM, SmtpSender(SmtpConfig("127.0.0.1", port)))
    [(rcpt, msg)] = inbox.received
    assert rcpt == ["ann@example.com"]
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "Bcc: thief@example.net" in msg.get_content()  # shown as text in the body, harmless


def test_daily_digest_groups_a_users_digest_subscriptions_into_one_email(world: World) -> None:
    _subscribe(world, "max", "silent_machine", "digest")
    _subscribe(world, "max", "R2", "digest")
    for finding in (
        Finding("silent_machine", "S-A1", "a", route="R1"),
        Finding("crc_failures", "f3", "b", route="R2"),
        Finding("crc_failures", "f4", "c"),  # neither his rule nor his route
    ):
        alerts.raise_or_refresh(world.engine, SYSTEM, finding)
    today = utcnow().date()
    assert alert_outbox.queue_digests(world.engine, SYSTEM, today) == ["max@example.com"]
    assert alert_outbox.queue_digests(world.engine, SYSTEM, today) == []  # once per day
    port = free_loopback_port()
    with smtp_server(port) as inbox:
        alert_outbox.drain(world.engine, SYSTEM, SmtpSender(SmtpConfig("127.0.0.1", port)))
    [(rcpt, msg)] = inbox.received
    body = msg.get_content()
    assert rcpt == ["max@example.com"]
    assert msg["Subject"] == f"[CVD] daily alert digest {today}: 2 alert(s)"
    assert "Subject: S-A1" in body and "Subject: f3" in body and "Subject: f4" not in body


def test_a_driver_is_never_mailed_another_routes_alert(world: World) -> None:
    _subscribe(world, "dave", "silent_machine")  # dave drives R1 only
    for finding in (
        Finding("silent_machine", "S-A1", "mine", route="R1"),
        Finding("silent_machine", "S-A2", "erin's", route="R2"),
    ):
        alerts.raise_or_refresh(world.engine, SYSTEM, finding)
    assert [(r.recipient, r.subject) for r in _outbox(world)] == [
        ("dave@example.com", "[CVD] warning silent_machine: S-A1")
    ]
