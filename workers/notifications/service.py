"""The notifier: a message in, each of its notices rendered and delivered on each channel.

Every (notice, channel) pair is one recorded notification, keyed by the message id,
so a redelivered or retried message sends only what has not been sent yet. One bad
recipient does not hold the others back: each pair is tried, then the message is
retried if any pair failed transiently, or dead-lettered if every failure was final.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from contexts.shared.messages import MESSAGES, PermanentError
from workers.notifications.channels import Channel, Recipient
from workers.notifications.directory import Sources, UserDirectory
from workers.notifications.notices import BUILDERS, Malformed, Notice
from workers.notifications.records import NotificationLog
from workers.notifications.templates import Renderer

log = logging.getLogger(__name__)


class Notifier:
    """Turns one message into delivered, recorded notifications."""

    def __init__(
        self,
        users: UserDirectory,
        sources: Sources,
        renderer: Renderer,
        records: NotificationLog,
        channels: Sequence[Channel],
        base_url: str,
    ) -> None:
        self.users, self.sources, self.renderer = users, sources, renderer
        self.records, self.channels = records, list(channels)
        self.base_url = base_url.rstrip("/")

    async def handle(self, kind: str, body: dict[str, Any], message_id: str) -> int:
        """Deliver what ``kind`` calls for; the number of notifications sent now."""
        builder = BUILDERS.get(kind)
        if builder is None:
            raise PermanentError(f"notifications do not handle {kind!r}")
        # The events exchange's messages are checked by their contract (MalformedMessage
        # is permanent); the inventory's HoldExpired stays a dict its builder checks.
        message = MESSAGES[kind].from_body(body) if kind in MESSAGES else body
        try:
            notices = await builder(message, self.sources, self.base_url)
        except Malformed as exc:
            raise PermanentError(f"malformed {kind}: {exc}") from exc
        sent, transient, final = 0, [], []
        for notice in notices:
            recipient = await self.users.recipient(notice.user_id)
            if recipient is None:
                log.info("no such user: not notified", extra={"user": notice.user_id, "kind": kind})
                continue
            for channel in self.channels:
                if not channel.address(recipient):
                    continue
                try:
                    sent += await self._deliver(message_id, kind, notice, recipient, channel)
                except PermanentError as exc:
                    final.append(exc)
                except Exception as exc:  # retried with the whole message: sent ones are skipped
                    transient.append(exc)
        if transient:
            raise transient[0]
        if final:
            raise final[0]
        return sent

    async def _deliver(
        self, message_id: str, kind: str, notice: Notice, recipient: Recipient, channel: Channel
    ) -> int:
        key = f"{message_id}:{notice.user_id}:{notice.template}:{channel.name}"
        fields = {
            "message_id": message_id,
            "kind": kind,
            "template": notice.template,
            "channel": channel.name,
            "user_id": notice.user_id,
            "to": channel.address(recipient),
        }
        attempt = await self.records.begin(key, fields)
        if not attempt.send:
            log.info("already sent: skipped", extra={"key": key})
            return 0
        context = {
            **notice.context,
            "user": {"name": recipient.name, "email": recipient.email},
            "base_url": self.base_url,
        }
        try:
            rendered = await self.renderer.render(notice.template, channel.name, key, context)
            await channel.send(recipient, rendered)
        except Exception as exc:
            await self.records.failed(key, repr(exc))
            log.warning(
                "notification failed",
                extra={"key": key, "attempt": attempt.attempt, "error": repr(exc)},
            )
            raise
        # A crash right here sends this one again on redelivery: see records.py.
        await self.records.sent(key)
        log.info("notification sent", extra={"key": key, "to": fields["to"]})
        return 1
