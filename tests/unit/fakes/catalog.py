"""In-memory fakes of the promo use cases' ports (``contexts.catalog.promo_ports``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.errors import InventoryNotFoundError
from contexts.catalog import rules
from contexts.catalog.promos_store import PromoExists
from contexts.shared.errors import Forbidden, NotFound
from contexts.shared.principal import Principal


class FakePromoDefinitions:
    """``PromosStore``: one definition per (event, code), unique; reads return copies
    without ``_id`` (the repository's projection); ``update`` returns the document
    after the change, or None if there is none."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}

    async def ensure_indexes(self) -> None:
        return None

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        key = (doc["event_id"], doc["code"])
        if key in self.docs:
            raise PromoExists(doc["code"])
        self.docs[key] = dict(doc)
        return doc

    async def get(self, event_id: str, code: str) -> dict[str, Any] | None:
        doc = self.docs.get((event_id, code))
        return None if doc is None else dict(doc)

    async def cached(self, event_id: str, code: str) -> dict[str, Any] | None:
        return await self.get(event_id, code)  # no TTL: this process's writes show at once

    async def page(self, event_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
        codes = sorted(c for e, c in self.docs if e == event_id and (after is None or c > after))
        return [dict(self.docs[(event_id, c)]) for c in codes[:limit]]

    async def update(
        self, event_id: str, code: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        doc = self.docs.get((event_id, code))
        if doc is None:
            return None
        doc.update(changes)
        return dict(doc)


class FakeManagedEvents:
    """The catalog's ``EventService._managed``: owners and admins manage, others get 403
    on a published event and 404 on a draft; ``audit`` keeps the entries appended."""

    def __init__(self, *events: dict[str, Any]) -> None:
        self.events = {e["_id"]: e for e in events}
        self.audit = FakeAudit()

    async def _managed(self, user: Principal, event_id: str) -> dict[str, Any]:
        doc = self.events.get(event_id)
        published = doc is not None and doc.get("published_at") is not None
        if doc is None or not rules.can_see(doc["status"], published, doc["owner_id"], user):
            raise NotFound(f"No event {event_id}.")
        if not rules.can_manage(doc["owner_id"], user):
            raise Forbidden("Only those who manage this event may change it.")
        return doc


@dataclass
class FakeAudit:
    entries: list[Any] = field(default_factory=list)

    async def append(self, entry: Any) -> None:
        self.entries.append(entry)


@dataclass
class FakeStreams:
    event_id: str
    shards: int = 1

    @property
    def maps(self) -> list[object]:
        return [object()] * self.shards

    def stream(self, shard: int) -> str:
        return self.event_id if self.shards == 1 else f"{self.event_id}#{shard}"


class FakeUseCounts:
    """The inventory's ``promo_uses`` per stream; an event not opened has no inventory."""

    def __init__(self) -> None:
        self.routes: dict[str, FakeStreams] = {}
        self.uses: dict[str, dict[str, int]] = {}

    def open(self, event_id: str, shards: int = 1) -> None:
        self.routes[event_id] = route = FakeStreams(event_id, shards)
        for shard in range(shards):
            self.uses.setdefault(route.stream(shard), {})

    async def route(self, event_id: str) -> FakeStreams:
        if event_id not in self.routes:
            raise InventoryNotFoundError(event_id)
        return self.routes[event_id]

    async def call(self, stream: str, method: str, *args: Any) -> Any:
        assert method == "promo_uses", method
        return dict(self.uses[stream])
