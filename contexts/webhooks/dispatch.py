"""From one bus message to signed deliveries, one per matching subscription.

Every attempt is logged (status code, attempt number, latency). A subscription that
already got this message (a logged success) is skipped, so when one receiver fails
and the bus retries the message later (with backoff), the others are not sent it
again. After the last retry, the message is dead-lettered and can be replayed.
Whether the subscriber may still see the event's orders is checked for every delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Protocol

from contexts.shared.messages import Message, from_body
from contexts.webhooks.sender import Sender
from contexts.webhooks.signing import HEADER, sign
from contexts.webhooks.store import WebhooksStore

log = logging.getLogger(__name__)
PRIVATE_FIELDS = ("qr",)  # ticket QR payloads stay with their holders


class Managers(Protocol):
    """Who manages an event (its organiser; teams may widen this)."""

    async def manages(self, user_id: str, event_id: str) -> bool: ...


class DeliveryFailed(Exception):
    """A receiver did not answer 2xx: the bus retries the message later."""


def payload(message: Message, message_id: str) -> bytes:
    """The JSON a subscriber receives: ``{id, type, created, data}`` (``data``: the
    message's body, without its private fields)."""
    kind, data = message.KIND, message.to_body()
    if isinstance(data.get("tickets"), list):
        data["tickets"] = [
            {k: v for k, v in t.items() if k not in PRIVATE_FIELDS}
            for t in data["tickets"]
            if isinstance(t, dict)
        ]
    envelope = {"id": message_id, "type": kind, "created": int(time.time()), "data": data}
    return json.dumps(envelope, separators=(",", ":"), default=str).encode()


class Dispatcher:
    """Delivers one message to its subscribers and logs every attempt."""

    def __init__(self, repo: WebhooksStore, sender: Sender, managers: Managers) -> None:
        self.repo, self.sender, self.managers = repo, sender, managers

    async def handle(self, kind: str, body: dict[str, Any], message_id: str) -> int:
        """Deliver to every subscription still owed this message; how many got it now.
        A body that does not match its message is dead-lettered (``MalformedMessage``)."""
        message = from_body(kind, body)
        event_id = str(getattr(message, "event_id", ""))  # every subscribed message has one
        content = payload(message, message_id)
        owed = []
        for sub in await self.repo.matching(event_id, kind):
            # Every subscription, per-event ones too, at every delivery: access is what
            # it is now (a member removed from the team stops receiving at once), not
            # what it was when they subscribed.
            if not await self.managers.manages(sub["owner_id"], event_id):
                continue
            if await self.repo.delivered(sub["_id"], message_id):
                continue  # an earlier attempt of this message reached it
            owed.append(sub)
        # Side by side: one slow receiver costs the others nothing (each request is bounded).
        results = await asyncio.gather(
            *(self._deliver(sub, kind, message_id, content) for sub in owed)
        )
        failed = [str(sub["_id"]) for sub, ok in zip(owed, results, strict=True) if not ok]
        sent = len(owed) - len(failed)
        if failed:
            raise DeliveryFailed(f"{kind} {message_id} not delivered to {', '.join(failed)}")
        return sent

    async def _deliver(self, sub: dict[str, Any], kind: str, message_id: str, body: bytes) -> bool:
        attempt = await self.repo.attempts(sub["_id"], message_id) + 1
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(sub["secret"], body),
            "X-Ticketing-Event": kind,
            "X-Ticketing-Delivery": message_id,
            "X-Ticketing-Attempt": str(attempt),
        }
        answer = await self.sender.post(sub["url"], body, headers)
        await self.repo.record(
            {
                "subscription_id": sub["_id"],
                "message_id": message_id,
                "kind": kind,
                "attempt": attempt,
                "ok": answer.ok,
                "status_code": answer.status_code,
                "latency_ms": answer.latency_ms,
                "error": answer.error,
            }
        )
        fields = {"subscription": str(sub["_id"]), "id": message_id, "attempt": attempt}
        log.info(
            "webhook delivered" if answer.ok else "webhook failed",
            extra={**fields, "status": answer.status_code, "latency_ms": answer.latency_ms},
        )
        return answer.ok
