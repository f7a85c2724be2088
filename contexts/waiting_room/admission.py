"""Buyers in the waiting room: join, read one's place (once or as a stream), and the
admission gate the reserve path goes through."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from actors.errors import InventoryNotFoundError, InventoryUnavailableError
from contexts.catalog.context import Catalog
from contexts.catalog.rules import can_see
from contexts.shared.errors import Conflict, NotFound
from contexts.shared.principal import Principal
from contexts.waiting_room import feed as queue_feed
from contexts.waiting_room.context import WaitingRoomContext
from contexts.waiting_room.errors import AdmissionRequired, NotInQueue, NoWaitingRoom
from contexts.waiting_room.schemas import QueueJoinPublic, QueuePlacePublic
from engine import InventoryError
from engine.queue_messages import JoinQueue, UseAdmission


def _time(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


class WaitingRoomPlaces:
    """Join, place and stream for one buyer at a time."""

    def __init__(self, context: WaitingRoomContext, catalog: Catalog) -> None:
        self.ctx, self.catalog = context, catalog

    async def join(self, user: Principal, event_id: str) -> QueueJoinPublic:
        event = await self.catalog.get_for_sale(event_id)
        published = event is not None and event.published_at is not None
        if event is None or not can_see(event.stored_status, published, event.owner_id, user):
            raise NotFound(f"No event {event_id}.")
        if event.status in ("cancelled", "ended"):
            raise Conflict(f"This event is {event.status}.", code=f"event_{event.status}")
        room = await self.ctx.rooms.get(event_id)
        if room is None or not room.enabled:
            raise NoWaitingRoom("This event has no waiting room: reserve directly.")
        view = await self.ctx.ask(
            event_id, lambda: self.ctx.queues.execute(event_id, JoinQueue(user.id))
        )
        token = self.ctx.tokens.issue_queue(user.id, event_id)
        return QueueJoinPublic(
            **self.present(user.id, event_id, view).model_dump(), queue_token=token
        )

    async def view(self, user_id: str, event_id: str) -> dict[str, Any]:
        """The buyer's raw place (``NotInQueue`` if none)."""
        if await self.ctx.rooms.get(event_id) is None:
            raise NotInQueue()
        answer = await self.ctx.ask(event_id, lambda: self.ctx.queues.views(event_id, [user_id]))
        view = answer["views"][0]
        if view is None:
            raise NotInQueue()
        return view

    def present(self, user_id: str, event_id: str, view: dict[str, Any]) -> QueuePlacePublic:
        """The public place; an admitted buyer's carries its admission token."""
        token, expires = None, view["admission_expires_at"]
        if view["status"] == "admitted":
            token = self.ctx.tokens.issue_admission(user_id, event_id, expires)
        wait = view["estimated_wait_s"]
        position = view["position"]
        return QueuePlacePublic(
            event_id=event_id,
            status=view["status"],
            position=position,
            ahead=None if position is None else position - 1,
            waiting=view["waiting"],
            estimated_wait_seconds=None if wait is None else math.ceil(wait),
            opens_at=_time(view["opens_at"]),  # type: ignore[arg-type]
            paused=view["paused"],
            admission_token=token,
            admission_expires_at=_time(expires) if token else None,
        )

    async def stream(
        self, user_id: str, event_id: str, first: dict[str, Any]
    ) -> AsyncIterator[str]:
        """Server-sent ``place`` events: now, then on every change, until the buyer is
        through (or out) or ``MAX_STREAM_S`` pass (the EventSource reconnects)."""
        feed = queue_feed
        yield f"retry: {feed.RETRY_MS}\n\n"
        last = first
        yield feed.sse("place", self.present(user_id, event_id, first).model_dump(mode="json"))
        if first["status"] in feed.TERMINAL:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + feed.MAX_STREAM_S
        async with self.ctx.feeds.listen(event_id, user_id) as inbox:
            while (left := deadline - loop.time()) > 0:
                try:
                    view = await asyncio.wait_for(inbox.get(), min(feed.KEEPALIVE_S, left))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if view is None or view == last:
                    continue
                last = view
                place = self.present(user_id, event_id, view)
                yield feed.sse("place", place.model_dump(mode="json"))
                if view["status"] in feed.TERMINAL:
                    return


class AdmissionGate:
    """What reserving asks of the waiting room: is an admission needed, is this one
    good, and (after the hold) that it was used, so the next buyer can come in."""

    def __init__(self, context: WaitingRoomContext) -> None:
        self.ctx = context

    async def check(self, user: Principal, event_id: str, token: str | None) -> bool:
        """False: the event has no waiting room. True: ``token`` admits ``user``.
        Raises the 403 problems otherwise; no actor call (the token is signed)."""
        room = await self.ctx.rooms.get(event_id)
        if room is None or not room.enabled:
            return False
        if not token:
            raise AdmissionRequired()
        self.ctx.tokens.check_admission(token, user.id, event_id)
        return True

    async def used(self, user: Principal, event_id: str) -> None:
        """Tell the queue; if it cannot hear now, the admission simply lapses later."""
        with suppress(InventoryError, InventoryUnavailableError, InventoryNotFoundError):
            await self.ctx.queues.execute(event_id, UseAdmission(user.id))
