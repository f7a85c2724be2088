"""What the promo use cases (``contexts.catalog.promos``) need from the outside: the
code definitions' store, the catalog's permission check, and the inventory's counts.
Small Protocols, so the rules can be exercised against in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from contexts.shared.principal import Principal


class PromoDefinitions(Protocol):
    """Code definitions by (event, code), unique (``promos_store.PromosStore``):
    ``insert`` raises ``promos_store.PromoExists`` for a code the event has already."""

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]: ...

    async def get(self, event_id: str, code: str) -> dict[str, Any] | None: ...

    async def cached(self, event_id: str, code: str) -> dict[str, Any] | None: ...

    async def page(self, event_id: str, after: str | None, limit: int) -> list[dict[str, Any]]: ...

    async def update(
        self, event_id: str, code: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None: ...


class ManagedEvents(Protocol):
    """The catalog's ``EventService``: the event ``user`` may manage (404 / 403 else)."""

    async def _managed(self, user: Principal, event_id: str) -> dict[str, Any]: ...


class Streams(Protocol):
    """An event's inventory streams (``actors.router.Route``): one per seat map."""

    @property
    def maps(self) -> Sequence[object]: ...

    def stream(self, shard: int) -> str: ...


class UseCounts(Protocol):
    """The inventory, as far as promo codes read it (``actors.router.InventoryRouter``)."""

    async def route(self, event_id: str) -> Streams: ...

    async def call(self, stream: str, method: str, *args: Any) -> Any: ...
