"""The waiting-room context of one API process: its settings store, the queue actors'
router, the token signer and the stream feeds, built once at start by the composition
root (``start_waiting_room``) and closed with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from actors.config import RouterConfig
from actors.errors import InventoryNotFoundError
from actors.queue_router import QueueRouter
from contexts.waiting_room.feed import WaitingRoomFeeds
from contexts.waiting_room.rooms_store import WaitingRoomsStore
from contexts.waiting_room.tokens import WaitingRoomTokens


@dataclass(frozen=True, slots=True)
class WaitingRoomContext:
    """Everything the waiting-room services share."""

    rooms: WaitingRoomsStore
    queues: QueueRouter
    tokens: WaitingRoomTokens
    feeds: WaitingRoomFeeds
    checkout_per_s: float = 0.0  # payments the platform charges per second; 0: no cap

    def max_unpaid(self, hold_ttl_s: float) -> int | None:
        """Checkout capacity, in held places: what payments can charge within one
        hold's TTL. Admitting more buyers than that lets them hold seats they could
        not pay for in time (their payments would queue behind Stripe's rate)."""
        if self.checkout_per_s <= 0:
            return None
        return max(1, int(self.checkout_per_s * hold_ttl_s))

    async def ask[T](self, event_id: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` on the event's queue actor, recreating the actor from its journal
        if it is gone (a new Ray cluster): a room that is on never goes unenforced."""
        try:
            return await call()
        except InventoryNotFoundError:
            await self.queues.open(event_id)
            return await call()

    async def close(self) -> None:
        await self.feeds.close()
        await self.queues.close()


def checkout_per_s(settings: Any) -> float:
    """``CHECKOUT_PAYMENTS_PER_S``, or by default what the platform charges at
    ``STRIPE_MAX_RPS``, the account's rate that all payments processes share (two
    Stripe calls per payment: create, confirm), however many processes there are."""
    explicit = getattr(settings, "checkout_payments_per_s", None)
    if explicit is not None:
        return float(explicit)
    return max(0.0, float(getattr(settings, "stripe_max_rps", 0.0))) / 2


def start_waiting_room(
    config: RouterConfig, db: AsyncDatabase[dict[str, Any]], settings: Any
) -> WaitingRoomContext:
    """The process's context; nothing connects until a room is asked (the queue actors
    share the inventory router's ``config``: same namespace and journal)."""
    queues = QueueRouter(config)
    return WaitingRoomContext(
        rooms=WaitingRoomsStore(db, settings.event_cache_s),
        queues=queues,
        tokens=WaitingRoomTokens(settings),
        feeds=WaitingRoomFeeds(queues),
        checkout_per_s=checkout_per_s(settings),
    )
