"""The waiting list's offer rules with in-memory fakes: who is offered what, in which
order, and that a redelivered message makes no second offer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from actors.refs import Held, HoldRef
from contexts.waiting_room.offers import Offers
from engine import HoldArea, SoldOutError


class FakeRepo:
    """The subset of WaitingListStore that Offers uses, in memory."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.processed: set[str] = set()

    def join(self, user: str, quantity: int = 1) -> dict[str, Any]:
        entry = {"_id": ObjectId(), "user_id": user, "area": "FLOOR", "quantity": quantity}
        self.entries.append({**entry, "status": "waiting", "offers": 0, "offer": None})
        return self.entries[-1]

    async def any_active(self, event_id: str) -> bool:
        return any(e["status"] in ("waiting", "offered") for e in self.entries)

    async def seen(self, message_id: str) -> bool:
        return message_id in self.processed

    async def remember(self, message_id: str) -> None:
        self.processed.add(message_id)

    async def by_hold(self, stream: str, hold_id: int) -> dict[str, Any] | None:
        return next(
            (
                e
                for e in self.entries
                if e["status"] == "offered"
                and (e["offer"]["stream"], e["offer"]["hold_id"]) == (stream, hold_id)
            ),
            None,
        )

    async def move(self, entry_id: Any, before: str, after: str, **_: Any) -> Any:
        for e in self.entries:
            if e["_id"] == entry_id and e["status"] == before:
                e["status"] = after
                return e
        return None

    async def waiting(self, event_id: str, limit: int) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries if e["status"] == "waiting"][:limit]

    async def offered(self, entry_id: Any, offer: dict[str, Any]) -> Any:
        for e in self.entries:
            if e["_id"] == entry_id and e["status"] == "waiting":
                e.update(status="offered", offer=offer, announced=False)
                e["offers"] += 1
                return e
        return None

    async def unannounced(self, event_id: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["status"] == "offered" and not e.get("announced")]

    async def announced(self, entry_id: Any) -> None:
        for e in self.entries:
            if e["_id"] == entry_id:
                e["announced"] = True


@dataclass
class FakeInventory:
    """``free`` places on FLOOR; holds keyed like the actor's (same key, same hold)."""

    free: int
    holds: dict[str, int] = field(default_factory=dict)

    async def hold(self, event_id: str, command: HoldArea) -> Held:
        if command.key in self.holds:
            hold_id = self.holds[command.key]
        elif command.quantity > self.free:
            raise SoldOutError("sold out", self.free)
        else:
            self.free -= command.quantity
            hold_id = self.holds[str(command.key)] = 100 + len(self.holds)
        event: Any = type("E", (), {"expires_at": 2_000_000_000.0})()
        return Held(HoldRef(event_id, -1, hold_id), event, [], "FLOOR", "EUR")

    async def availability(self, event_id: str) -> dict[str, Any]:
        return {"areas": {"FLOOR": {"available": self.free}}, "sections": {}}

    async def release(self, ref: Any, customer: str | None = None) -> None:
        self.free += 1


@dataclass
class FakeBus:
    sent: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None:
        self.sent.append((kind, body, message_id))


def returned(hold_id: int) -> dict[str, Any]:
    return {"event_id": "ev1", "stream": "ev1", "hold_id": hold_id}


def test_the_first_who_fits_is_offered_once_even_if_the_message_comes_again() -> None:
    repo, inventory, bus = FakeRepo(), FakeInventory(free=1), FakeBus()
    offers = Offers(repo, inventory, bus)  # type: ignore[arg-type]
    big, b, c = repo.join("big", quantity=2), repo.join("b"), repo.join("c")

    async def run() -> None:
        assert await offers.handle("HoldReleased", returned(1), "ev1:7") == 1
        assert await offers.handle("HoldReleased", returned(1), "ev1:7") == 0  # redelivered

    asyncio.run(run())
    assert [e["status"] for e in (big, b, c)] == ["waiting", "offered", "waiting"]
    assert [(kind, body["user_id"]) for kind, body, _ in bus.sent] == [("waitlist.offered", "b")]


def test_an_expired_offer_lapses_and_passes_on() -> None:
    repo, inventory, bus = FakeRepo(), FakeInventory(free=1), FakeBus()
    offers = Offers(repo, inventory, bus)  # type: ignore[arg-type]
    b, c = repo.join("b"), repo.join("c")

    async def run() -> None:
        await offers.handle("HoldExpired", returned(1), "ev1:1")
        inventory.free += 1  # B's hold ends: its place is back
        await offers.handle("HoldExpired", returned(b["offer"]["hold_id"]), "ev1:2")

    asyncio.run(run())
    assert (b["status"], c["status"]) == ("lapsed", "offered")
    assert [body["user_id"] for _, body, _ in bus.sent] == ["b", "c"]
    assert len({message_id for _, _, message_id in bus.sent}) == 2


def test_a_paid_offer_is_claimed() -> None:
    repo, inventory, bus = FakeRepo(), FakeInventory(free=1), FakeBus()
    offers = Offers(repo, inventory, bus)  # type: ignore[arg-type]
    b = repo.join("b")

    async def run() -> None:
        await offers.handle("SaleReturned", returned(1), "ev1:1")
        await offers.handle("HoldConfirmed", returned(b["offer"]["hold_id"]), "ev1:2")

    asyncio.run(run())
    assert b["status"] == "claimed"


def test_messages_of_events_nobody_waits_for_change_and_remember_nothing() -> None:
    repo, inventory, bus = FakeRepo(), FakeInventory(free=3), FakeBus()
    offers = Offers(repo, inventory, bus)  # type: ignore[arg-type]
    assert asyncio.run(offers.handle("HoldExpired", returned(1), "ev1:1")) == 0
    assert (repo.processed, bus.sent, inventory.free) == (set(), [], 3)
