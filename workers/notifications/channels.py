"""Delivery channels: email over SMTP (aiosmtplib) and SMS (a logging adapter by default).

Both sit behind one ``Channel`` Protocol, so the notifier neither knows nor cares how a
message leaves. A channel raises ``PermanentError`` for what no retry can fix (the
server refused the recipient for good) and anything else for what a retry may fix
(server down, timeout): the bus retries the latter with delays, then dead-letters it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Protocol

import aiosmtplib

from workers.bus import PermanentError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a notification is for, as the user directory knows them."""

    user_id: str
    email: str | None
    name: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered notification: ``html`` only for email, ``subject`` empty for SMS."""

    key: str  # the notification's idempotency key (also the email's Message-ID)
    subject: str
    text: str
    html: str | None = None


class Channel(Protocol):
    """A way to reach a recipient."""

    name: str

    def address(self, recipient: Recipient) -> str | None:
        """Where this channel reaches ``recipient``, or None if it cannot."""
        ...

    async def send(self, recipient: Recipient, message: Rendered) -> None:
        """Deliver, or raise (``PermanentError`` when retrying cannot help)."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """How to reach the SMTP relay (from the SMTP_* settings)."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


class EmailChannel:
    """Email over SMTP: a multipart message with a plain-text part, always, and HTML."""

    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def address(self, recipient: Recipient) -> str | None:
        return recipient.email or None

    def compose(self, recipient: Recipient, message: Rendered) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = formataddr((recipient.name, recipient.email or ""))
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        # Derived from the idempotency key: the rare duplicate (see NotificationLog) carries
        # the same Message-ID, which lets mail clients and support tell it is one.
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        mail["Message-ID"] = f"<{digest}@ticketing>"
        mail.set_content(message.text)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
        return mail

    async def send(self, recipient: Recipient, message: Rendered) -> None:
        config = self.config
        try:
            await aiosmtplib.send(
                self.compose(recipient, message),
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                start_tls=config.starttls,
                timeout=config.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(err.code >= 500 for err in exc.recipients):
                raise PermanentError(f"recipient refused: {exc}") from exc
            raise
        except aiosmtplib.SMTPAuthenticationError:
            raise  # our configuration, not the message: retry (then dead-letter, replayable)
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word on this message; 4xx and the rest may pass later.
            if exc.code >= 500:
                raise PermanentError(f"smtp refused: {exc.code} {exc.message}") from exc
            raise


class LoggingSms:
    """The default SMS adapter: logs what a real provider would send, sends nothing.

    A provider adapter (Twilio, Vonage, ...) implements the same two methods; ``sent``
    keeps the last messages so tests and developers can see what went out.
    """

    name = "sms"

    def __init__(self, keep: int = 100) -> None:
        self.sent: list[tuple[str, str]] = []
        self._keep = keep

    def address(self, recipient: Recipient) -> str | None:
        return recipient.phone or None

    async def send(self, recipient: Recipient, message: Rendered) -> None:
        phone = recipient.phone or ""
        log.info("sms (logging adapter, not sent)", extra={"to": phone, "text": message.text})
        self.sent = [*self.sent[-(self._keep - 1) :], (phone, message.text)]
