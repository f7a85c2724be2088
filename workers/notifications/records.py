"""Every notification, recorded in ``<prefix>_notifications.notifications`` with its status.

The record is also the idempotency guard: its ``_id`` is the notification's key
(``<message id>:<user>:<template>:<channel>``), inserted *before* sending
(``queued``), then marked ``sent`` or ``failed`` (with ``attempts`` and ``error``). A
redelivered message finds ``sent`` and sends nothing.

Accepted failure mode: a crash (or a lost database write) after the SMTP server
accepted the mail and before the record says ``sent`` sends that mail twice on
redelivery. SMTP has no idempotent submit, so the only alternative is to risk never
sending it; a duplicate confirmation email is the lesser harm (and it carries the
same Message-ID, so clients can tell).

Two deliveries of one message at once (the consumer runs several messages
concurrently; a redelivery may arrive while the first is still sending) do not both
send: ``begin`` claims the record for ``lease_s`` (``sending_until``), and a claim held
by another delivery makes it raise ``InFlight``, a transient error the bus retries
later. A crash while sending leaves the lease to expire, then a retry claims it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

QUEUED, SENT, FAILED = "queued", "sent", "failed"


def _now() -> datetime:
    # BSON dates keep milliseconds: truncate so comparisons see what was stored.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class InFlight(Exception):
    """Another delivery is sending this notification now: try again later (transient)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """What ``begin`` decided: send (attempt number ``attempt``) or skip (already sent)."""

    send: bool
    attempt: int


class NotificationLog:
    """The notifications collection."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], lease_s: float = 60.0) -> None:
        self.collection = db["notifications"]
        self.lease = timedelta(seconds=lease_s)  # longer than one send (SMTP timeout)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("user_id", 1), ("created_at", -1)])
        await self.collection.create_index([("message_id", 1)])

    async def begin(self, key: str, fields: dict[str, Any]) -> Attempt:
        """Record the notification (once) and claim an attempt, unless it was sent;
        ``InFlight`` if another delivery holds the claim."""
        now = _now()
        doc = {"_id": key, **fields, "status": QUEUED, "attempts": 1, "error": None}
        try:
            # The first delivery records and claims in one write (the common case).
            lease = {"sending_until": now + self.lease, "created_at": now, "updated_at": now}
            await self.collection.insert_one({**doc, **lease})
            return Attempt(True, 1)
        except DuplicateKeyError:  # a redelivery or a retry: the record decides
            pass
        free = [{"sending_until": None}, {"sending_until": {"$lte": now}}]
        record = await self.collection.find_one_and_update(
            {"_id": key, "status": {"$ne": SENT}, "$or": free},
            {
                "$inc": {"attempts": 1},
                "$set": {"sending_until": now + self.lease, "updated_at": now},
            },
            return_document=ReturnDocument.AFTER,
        )
        if record is not None:
            return Attempt(True, int(record["attempts"]))
        current = await self.collection.find_one({"_id": key}, {"status": 1})
        if current is not None and current["status"] == SENT:
            return Attempt(False, 0)
        raise InFlight(f"notification {key} is being sent by another delivery")

    async def sent(self, key: str) -> None:
        now = _now()
        changes = {"status": SENT, "error": None, "sent_at": now, "updated_at": now}
        await self.collection.update_one({"_id": key}, {"$set": {**changes, "sending_until": None}})

    async def failed(self, key: str, error: str) -> None:
        changes = {"status": FAILED, "error": error[:500], "updated_at": _now()}
        await self.collection.update_one({"_id": key}, {"$set": {**changes, "sending_until": None}})

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": key})

    async def for_message(self, message_id: str) -> list[dict[str, Any]]:
        return await self.collection.find({"message_id": message_id}).to_list(None)
