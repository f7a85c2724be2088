"""Waiting-room settings per event, in the queue context's own database.

The queue itself (places, admissions) lives in the event's queue actor and its
journal; this document says whether the room is on, which is what the reserve path
asks on every request (from memory, ``cache_s`` old at most). It is the source of
truth for "on": if the Ray cluster were replaced, the API would recreate the actor
from its journal rather than quietly let everyone reserve without a queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from contexts.shared.cache import TtlCache


@dataclass(frozen=True, slots=True)
class RoomSettings:
    """What the API keeps of an event's waiting room."""

    event_id: str
    enabled: bool
    opens_at: datetime
    rate_per_minute: float | None
    max_active: int | None
    admission_ttl_seconds: int
    access_list_size: int | None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> RoomSettings:
        return cls(
            event_id=doc["_id"],
            enabled=doc["enabled"],
            opens_at=doc["opens_at"],
            rate_per_minute=doc.get("rate_per_minute"),
            max_active=doc.get("max_active"),
            admission_ttl_seconds=doc["admission_ttl_seconds"],
            access_list_size=doc.get("access_list_size"),
        )


class WaitingRoomsStore:
    """``<prefix>_queue.rooms``: one document per event that ever had a room."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], cache_s: float = 2.0) -> None:
        self.collection = db["rooms"]
        self._cache: TtlCache[str, RoomSettings | None] = TtlCache(
            cache_s,
            name="waiting_rooms",
            refresh_ahead=True,  # read by every reserve
        )

    async def get(self, event_id: str) -> RoomSettings | None:
        """The room of ``event_id`` from memory (``cache_s`` old at most), or None."""

        async def load() -> RoomSettings | None:
            doc = await self.collection.find_one({"_id": event_id})
            return None if doc is None else RoomSettings.from_doc(doc)

        return await self._cache.get(event_id, load)

    async def save(self, room: RoomSettings, updated_at: datetime) -> None:
        doc = {
            "enabled": room.enabled,
            "opens_at": room.opens_at,
            "rate_per_minute": room.rate_per_minute,
            "max_active": room.max_active,
            "admission_ttl_seconds": room.admission_ttl_seconds,
            "access_list_size": room.access_list_size,
            "updated_at": updated_at,
        }
        await self.collection.update_one({"_id": room.event_id}, {"$set": doc}, upsert=True)
        self._cache.invalidate(room.event_id)
