"""When seats come back, the next in line gets them: an offer is a hold in their name.

Fed by the inventory actors' outbox (``HoldExpired``, ``HoldReleased``,
``SaleReturned``; ``HoldConfirmed`` marks an offer claimed). For each event whose
seats came back, waiting entries are tried in the order they joined: a hold in the
buyer's name (keyed by the entry and its offer count, so a redelivery gets the same
hold back), recorded as the entry's offer by a conditional update, then announced
(``waitlist.offered``, which the notifications worker turns into an email). An offer
whose hold ends unpaid lapses, and its seats coming back pass it on to the next.
The message id is the dedup key of every message that changed something.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Protocol

from actors.errors import InventoryNotFoundError
from actors.refs import Held
from contexts.shared.bus_codec import PermanentError
from contexts.shared.messages import WaitlistOffered
from contexts.shared.publisher import Publisher, send
from contexts.waiting_room.waiting_list_store import WaitingListStore
from engine import (
    HoldArea,
    HoldBestAvailable,
    InvalidAreaError,
    InvalidQuantityError,
    InvalidSeatError,
    LimitExceededError,
    SeatUnavailableError,
    SoldOutError,
)

log = logging.getLogger(__name__)

RETURNS = ("HoldExpired", "HoldReleased", "SaleReturned")  # seats back on sale
CLAIMED = "HoldConfirmed"
# This entry cannot be served now (too few places, over the buyer's limit): try the next.
NOT_NOW = (SoldOutError, SeatUnavailableError, LimitExceededError)
NOT_EVER = (InvalidAreaError, InvalidSeatError, InvalidQuantityError)
SCAN = 50  # waiting entries tried per message: the rest wait for the next seats


class Inventory(Protocol):
    async def hold(self, event_id: str, command: Any) -> Held: ...
    async def availability(self, event_id: str) -> dict[str, Any]: ...
    async def release(self, ref: Any, customer: str | None = None) -> Any: ...


Announcer = Publisher  # where offers are announced (``MessagePublisher``)


def pick_place(view: dict[str, Any], quantity: int) -> tuple[str, str] | None:
    """(kind, name) of the first area or section with ``quantity`` places, if any."""
    for kind in ("areas", "sections"):
        for name, part in view.get(kind, {}).items():
            if part["available"] >= quantity:
                return kind, name
    return None


class Offers:
    """Turns returned seats into offers to the waiting list."""

    def __init__(self, repo: WaitingListStore, inventory: Inventory, announcer: Announcer) -> None:
        self.repo, self.inventory, self.announcer = repo, inventory, announcer

    async def handle(self, kind: str, body: dict[str, Any], message_id: str) -> int:
        """Apply one inventory message; the number of offers made now."""
        if kind not in (*RETURNS, CLAIMED):
            raise PermanentError(f"the waiting list does not handle {kind!r}")
        event_id, stream = str(body.get("event_id") or ""), str(body.get("stream") or "")
        if not event_id or not stream or not isinstance(body.get("hold_id"), int):
            raise PermanentError(f"malformed {kind}: {body!r}")
        # One read for the common case (nobody waits for this event), then the dedup.
        if not await self.repo.any_active(event_id) or await self.repo.seen(message_id):
            return 0
        changed, made = False, 0
        entry = await self.repo.by_hold(stream, body["hold_id"])
        if entry is not None:  # the hold was an offer: claimed, or it lapsed
            after = "claimed" if kind == CLAIMED else "lapsed"
            changed = await self.repo.move(entry["_id"], "offered", after) is not None
        if kind in RETURNS:
            made = await self.offer_next(event_id)
        await self.announce(event_id)
        if changed or made:  # only messages with effects are remembered (the rest are many)
            await self.repo.remember(message_id)
        return made

    async def offer_next(self, event_id: str) -> int:
        made, full = 0, set[str]()  # places found sold out while scanning
        for entry in await self.repo.waiting(event_id, SCAN):
            place = entry.get("area") or entry.get("section") or "*"
            if place in full:
                continue
            try:
                held = await self._hold(event_id, entry)
            except NOT_NOW as exc:
                if isinstance(exc, SoldOutError) and exc.available == 0:
                    full.add(place)  # nothing left there: ask no more for that place
                continue
            except NOT_EVER as exc:  # the venue changed under the entry: it cannot be served
                await self.repo.move(entry["_id"], "waiting", "lapsed", reason=repr(exc))
                continue
            except InventoryNotFoundError:
                return made  # another deployment's event (the exchange is shared)
            if held is None:
                continue
            offer = {
                "reservation_id": held.ref.token(),
                "stream": held.ref.stream,
                "hold_id": held.ref.hold_id,
                "expires_at": datetime.fromtimestamp(held.event.expires_at, UTC),
                "seats": held.seat_ids,
                "area": held.area,
            }
            if await self.repo.offered(entry["_id"], offer) is None:  # left meanwhile
                await self.inventory.release(held.ref, customer=entry["user_id"])
                continue
            made += 1
            log.info("waiting list offer", extra={"event": event_id, "entry": str(entry["_id"])})
        return made

    async def _hold(self, event_id: str, entry: dict[str, Any]) -> Held | None:
        user, quantity = entry["user_id"], int(entry["quantity"])
        key = f"waitlist:{entry['_id']}:{entry.get('offers', 0)}"
        if entry.get("area"):
            return await self.inventory.hold(event_id, HoldArea(user, entry["area"], quantity, key))
        section = entry.get("section")
        if not section:  # anywhere: the first area or section with room
            place = pick_place(await self.inventory.availability(event_id), quantity)
            if place is None:
                return None
            if place[0] == "areas":
                return await self.inventory.hold(event_id, HoldArea(user, place[1], quantity, key))
            section = place[1]
        return await self.inventory.hold(event_id, HoldBestAvailable(user, section, quantity, key))

    async def announce(self, event_id: str) -> None:
        """Publish every offer not yet announced (again after a crash: same message id)."""
        for entry in await self.repo.unannounced(event_id):
            offer = entry["offer"]
            message = WaitlistOffered(
                entry_id=str(entry["_id"]),
                user_id=entry["user_id"],
                event_id=event_id,
                reservation_id=offer["reservation_id"],
                seats=tuple(offer.get("seats") or ()),
                area=offer.get("area"),
                quantity=entry["quantity"],
                # str(): what the JSON encoder wrote for the datetime (its ``default=str``)
                expires_at=str(offer["expires_at"]),
            )
            message_id = f"waitlist:{entry['_id']}:{entry['offers']}"
            await send(self.announcer, message, message_id)
            await self.repo.announced(entry["_id"])
