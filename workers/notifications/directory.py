"""Where notifications learn who a user is, and what else they need from other contexts.

``UserDirectory`` is the seam to the auth context: the Mongo adapter reads its users
collection (email, name, and a phone number once users have one), read-only. The
``Sources`` Protocol gathers the other look-ups a message may need: who holds tickets
of an event or of an order (orders context), the customer of an expired hold (the
inventory actors) and an event's title (catalog). Deployed apart, each becomes a call
to its context's API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.database import AsyncDatabase

from actors.errors import InventoryNotFoundError
from actors.refs import HoldRef
from workers.notifications.channels import Recipient

log = logging.getLogger(__name__)


class UserDirectory(Protocol):
    async def recipient(self, user_id: str) -> Recipient | None:
        """The user's contact details, or None if there is no such user."""
        ...


@dataclass(slots=True)
class Holding:
    """Someone to tell about tickets: a buyer (who paid, so is refunded), or a holder of
    tickets transferred to them, with the tickets they hold (``ticket_id``, seat, area)."""

    user_id: str
    buyer: bool = False
    tickets: list[dict[str, Any]] = field(default_factory=list)


class Sources(Protocol):
    async def holders(self, event_id: str) -> list[Holding]: ...
    async def transferees(self, order_id: str) -> list[Holding]: ...
    async def hold_customer(self, event_id: str, stream: str, hold_id: int) -> str | None: ...
    async def event_title(self, event_id: str) -> str | None: ...


def _id_forms(value: str) -> list[Any]:
    """The value as stored either way: contexts write ids as hex strings or ObjectIds."""
    try:
        return [value, ObjectId(value)] if len(value) == 24 else [value]
    except InvalidId:
        return [value]


class MongoUserDirectory:
    """Users of ``<prefix>_auth.users`` (ids are ObjectId hex)."""

    def __init__(self, auth_db: AsyncDatabase[dict[str, Any]]) -> None:
        self._users = auth_db["users"]

    async def recipient(self, user_id: str) -> Recipient | None:
        oids = [v for v in _id_forms(str(user_id)) if isinstance(v, ObjectId)]
        if not oids:
            return None
        doc = await self._users.find_one({"_id": oids[0]}, {"email": 1, "name": 1, "phone": 1})
        if doc is None:
            return None
        return Recipient(str(doc["_id"]), doc.get("email"), doc.get("name") or "", doc.get("phone"))


TICKETED = ("confirmed", "refunding", "refunded")  # contexts.tickets.states.TICKETED
CANCELLED_REASON = "event_cancelled"
HOLDING_FIELDS = {
    "user_id": 1,
    "status": 1,
    "refund": 1,
    **{f"tickets.{k}": 1 for k in ("ticket_id", "seat", "area", "owner_id")},
}


def _collect(people: dict[str, Holding], order: dict[str, Any], *, buyer: bool) -> None:
    """Add an order's buyer (if ``buyer``) and each ticket's holder to ``people``."""
    owner = str(order.get("user_id") or "")
    if buyer and owner:
        people.setdefault(owner, Holding(owner)).buyer = True
    for ticket in order.get("tickets") or []:
        holder = str(ticket.get("owner_id") or owner)
        if holder:
            line = {k: ticket.get(k) for k in ("ticket_id", "seat", "area")}
            people.setdefault(holder, Holding(holder)).tickets.append(line)


def shard_of(event_id: str, stream: str) -> int:
    """The shard a stream names: ``<event>`` is unsharded (-1), ``<event>#<k>`` is k."""
    if stream == event_id:
        return -1
    prefix = f"{event_id}#"
    if not stream.startswith(prefix) or not stream[len(prefix) :].isdigit():
        raise ValueError(f"stream {stream!r} is not one of event {event_id!r}")
    return int(stream[len(prefix) :])


class ContainerSources:
    """The look-ups, served by the API's composition root (or the worker's own)."""

    def __init__(self, container: Any) -> None:
        self.container = container

    async def holders(self, event_id: str) -> list[Holding]:
        """Everyone a cancelled event concerns: the buyer of each paid order (refunded
        for the cancellation, or not yet) and whoever holds its tickets now. The orders
        context owns the collection; this only reads the fields it needs."""
        query = {"event_id": {"$in": _id_forms(event_id)}, "status": {"$in": list(TICKETED)}}
        people: dict[str, Holding] = {}
        async for order in self._orders().find(query, HOLDING_FIELDS):
            reason = (order.get("refund") or {}).get("reason")
            if order.get("status") != "confirmed" and reason != CANCELLED_REASON:
                continue  # refunded earlier, for another reason: already told
            _collect(people, order, buyer=True)
        return sorted(people.values(), key=lambda h: h.user_id)

    async def transferees(self, order_id: str) -> list[Holding]:
        """The holders of an order's tickets other than its buyer (transferred to them)."""
        order = await self._orders().find_one({"_id": {"$in": _id_forms(order_id)}}, HOLDING_FIELDS)
        people: dict[str, Holding] = {}
        if order is not None:
            _collect(people, order, buyer=False)
        buyer = str(order.get("user_id")) if order else None
        return sorted((h for h in people.values() if h.user_id != buyer), key=lambda h: h.user_id)

    def _orders(self) -> Any:
        return self.container.db("orders")["orders"]

    async def hold_customer(self, event_id: str, stream: str, hold_id: int) -> str | None:
        ref = HoldRef(event_id, shard_of(event_id, stream), hold_id)
        try:
            view = await self.container.router.hold_view(ref)
        except InventoryNotFoundError:
            return None  # no such event here (another deployment's message): nobody to tell
        return (view or {}).get("customer") or None

    async def event_title(self, event_id: str) -> str | None:
        catalog = getattr(self.container, "catalog", None)
        if catalog is None:
            return None
        event = await catalog.get_for_sale(event_id)
        return event.title if event is not None else None
