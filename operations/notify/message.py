"""Plain-text alert emails whose every data-supplied part is made safe.

A subject is one line: CR, LF and every other control character become a space, so nothing the
data supplies (a serial, a file name, a product name) can add a header. A body keeps its line
breaks but loses other control characters (terminal escapes, NUL), so a mail client shows what
was written. No HTML is ever sent.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_SUBJECT = 200
SUBJECT_PREFIX = "[CVD]"


@dataclass(frozen=True)
class AlertText:
    """What one alert says, as the outbox renders it."""

    alert_id: int
    rule: str
    subject_key: str
    severity: str
    message: str
    route_code: str | None
    details: Mapping[str, object]
    opened_at: str


def one_line(value: object, limit: int = MAX_SUBJECT) -> str:
    """``value`` as a single line without control characters, at most ``limit`` characters."""
    text = "".join(
        " " if unicodedata.category(ch).startswith(("C", "Z")) and ch != " " else ch
        for ch in str(value)
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_text(value: object) -> str:
    """``value`` with its line breaks kept and every other control character removed."""
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(one_line(line, limit=10_000) for line in lines)


def alert_subject(alert: AlertText) -> str:
    """``[CVD] warning silent_machine: <subject>`` on one line."""
    return one_line(f"{SUBJECT_PREFIX} {alert.severity} {alert.rule}: {alert.subject_key}")


def _alert_lines(alert: AlertText) -> list[str]:
    details = json.dumps(dict(alert.details), sort_keys=True, default=str)
    return [
        f"Alert #{alert.alert_id}: {one_line(alert.rule)} ({one_line(alert.severity)})",
        f"Subject: {one_line(alert.subject_key)}",
        f"Route: {one_line(alert.route_code or '-')}",
        f"Opened: {alert.opened_at}",
        plain_text(alert.message),
        f"Details: {one_line(details, limit=2000)}",
    ]


def alert_body(alert: AlertText) -> str:
    """The body of an immediate alert email."""
    return "\n".join([*_alert_lines(alert), "", "Acknowledge or resolve it on the Alerts page."])


def digest_subject(day: str, count: int) -> str:
    """The subject of a daily digest."""
    return one_line(f"{SUBJECT_PREFIX} daily alert digest {day}: {count} alert(s)")


def digest_body(day: str, alerts: Iterable[AlertText]) -> str:
    """One section per alert, oldest first."""
    sections = ["\n".join(_alert_lines(alert)) for alert in alerts]
    return f"Alerts live or raised on {day}:\n\n" + "\n\n".join(sections) + "\n"
