"""Joining, reading and leaving an event's waiting list.

Only a sold-out event (or area, or section) has a waiting list: while enough places
are on sale, buyers reserve them directly (409 ``seats_available``). Offers are made
by ``workers.waitlist`` when seats come back, never in the request path.
"""

from __future__ import annotations

from typing import Any, Protocol

from contexts.shared.errors import Conflict, Invalid, NotFound
from contexts.shared.principal import Principal
from contexts.waiting_room.waiting_list_schemas import Offer, WaitingListEntry, WaitingListJoin
from contexts.waiting_room.waiting_list_store import WaitingListStore
from engine.errors import counted


class Inventory(Protocol):
    async def availability(self, event_id: str) -> dict[str, Any]: ...


class Events(Protocol):
    async def get_for_sale(self, event_id: str) -> Any: ...


async def present(repo: WaitingListStore, doc: dict[str, Any]) -> WaitingListEntry:
    offer = doc.get("offer")
    return WaitingListEntry(
        id=str(doc["_id"]),
        event_id=doc["event_id"],
        area=doc.get("area"),
        section=doc.get("section"),
        quantity=doc["quantity"],
        status=doc["status"],
        position=await repo.position(doc) if doc["status"] == "waiting" else None,
        joined_at=doc["joined_at"],
        offer=Offer(**{k: offer.get(k) for k in ("reservation_id", "expires_at")})
        if offer
        else None,
    )


def available_for(view: dict[str, Any], body: WaitingListJoin) -> int:
    """Places on sale now where the buyer wants them; ``Invalid`` for an unknown name."""
    if body.area is not None or body.section is not None:
        kind, name = ("areas", body.area) if body.area is not None else ("sections", body.section)
        part = view.get(kind, {}).get(name)
        if part is None:
            raise Invalid(f"This event has no {kind[:-1]} named {name!r}.", code="unknown_place")
        return int(part["available"])
    return int(view["available"])


class WaitingListService:
    """The caller's place on a waiting list."""

    def __init__(self, repo: WaitingListStore, events: Events, inventory: Inventory) -> None:
        self.repo, self.events, self.inventory = repo, events, inventory

    async def join(self, user: Principal, event_id: str, body: WaitingListJoin) -> WaitingListEntry:
        event = await self.events.get_for_sale(event_id)
        if event is None or event.stored_status == "draft":
            raise NotFound(f"No event {event_id}.")
        if not event.on_sale:
            raise Conflict("This event is not on sale.", code="not_on_sale")
        if body.quantity > event.max_tickets_per_customer:
            limit = event.max_tickets_per_customer
            raise Invalid(f"At most {counted(limit, 'place')} per customer.", code="over_limit")
        if available_for(await self.inventory.availability(event_id), body) >= body.quantity:
            raise Conflict("Places are on sale: reserve them.", code="seats_available")
        if await self.repo.active(event_id, user.id) is not None:
            raise Conflict("You are already on this waiting list.", code="already_waiting")
        fields = {"event_id": event_id, "user_id": user.id, **body.model_dump()}
        return await present(self.repo, await self.repo.add(fields))

    async def mine(self, user: Principal, event_id: str) -> WaitingListEntry:
        return await present(self.repo, await self._active(user, event_id))

    async def leave(self, user: Principal, event_id: str) -> None:
        """Leave the list; an offer already made stays until its hold ends."""
        doc = await self._active(user, event_id)
        await self.repo.move(doc["_id"], doc["status"], "left")

    async def _active(self, user: Principal, event_id: str) -> dict[str, Any]:
        doc = await self.repo.active(event_id, user.id)
        if doc is None:
            raise NotFound("You are not on this event's waiting list.")
        return doc
