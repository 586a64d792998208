"""Send one email over SMTP (``smtplib``), STARTTLS when configured.

The settings come from the edge (``CVD_SMTP_HOST``, ``CVD_SMTP_PORT``, ``CVD_SMTP_USER``,
``CVD_SMTP_PASSWORD``, ``CVD_SMTP_FROM``, ``CVD_SMTP_STARTTLS``; no host = email off). A failure
raises :class:`SendFailed`; the outbox keeps the message and retries it later.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from operations.notify.message import one_line

DEFAULT_TIMEOUT_S = 10.0


class SendFailed(Exception):  # noqa: N818 - the name says what happened
    """The SMTP server could not be reached or refused the message (the text says why)."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send. ``password`` is never shown (repr hides it)."""

    host: str
    port: int = 25
    sender: str = "cvd@localhost"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True)
class Email:
    """One message to one recipient."""

    recipient: str
    subject: str
    body: str


def build_message(config: SmtpConfig, email: Email) -> EmailMessage:
    """The MIME message: plain text UTF-8, the subject forced onto one line."""
    message = EmailMessage()
    message["From"] = one_line(config.sender)
    message["To"] = one_line(email.recipient)
    message["Subject"] = one_line(email.subject)
    message.set_content(email.body)
    return message


class SmtpSender:
    """Sends :class:`Email` values with one SMTP connection per call."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def __call__(self, email: Email) -> None:
        """Hand ``email`` to the server, or raise :class:`SendFailed`."""
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as server:
                if config.starttls:
                    server.starttls(context=ssl.create_default_context())
                if config.user:
                    server.login(config.user, config.password or "")
                server.send_message(build_message(config, email))
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"{config.host}:{config.port}: {error}") from error
