"""Organiser webhook subscriptions: create (secret shown once), list, read, delete, and
the delivery log. Deliveries themselves happen in ``workers.webhooks``, fed from
RabbitMQ: nothing here sends a request to a subscriber.
"""

from __future__ import annotations

from typing import Any, Protocol

from bson import ObjectId

from contexts.catalog import rules as catalog_rules
from contexts.shared.errors import Forbidden, Invalid, NotFound
from contexts.shared.pagination import InvalidCursor, decode_cursor, encode_cursor
from contexts.shared.principal import Principal
from contexts.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookPublic,
)
from contexts.webhooks.signing import new_secret
from contexts.webhooks.store import oid
from contexts.webhooks.urls import UnsafeUrl, check_url


class Subscriptions(Protocol):
    """The store this use case writes (``contexts.webhooks.store.WebhooksStore``)."""

    async def create(self, fields: dict[str, Any]) -> dict[str, Any]: ...

    async def get(self, subscription_id: str) -> dict[str, Any] | None: ...

    async def page_of_owner(
        self, owner_id: str | None, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]: ...

    async def deactivate(self, subscription: dict[str, Any]) -> None: ...

    async def page_of_deliveries(
        self, subscription_id: ObjectId, before: ObjectId | None, limit: int
    ) -> list[dict[str, Any]]: ...


class EventOwners(Protocol):
    """The catalog, as far as webhooks need it: who owns an event."""

    async def get_for_sale(self, event_id: str) -> Any: ...


def present(doc: dict[str, Any]) -> WebhookPublic:
    return WebhookPublic(
        id=str(doc["_id"]),
        url=doc["url"],
        event_id=doc.get("event_id"),
        events=doc["events"],
        created_at=doc["created_at"],
    )


def _before(cursor: str | None) -> ObjectId | None:
    if cursor is None:
        return None
    key = oid(str(decode_cursor(cursor, ("i",))["i"]))
    if key is None:
        raise InvalidCursor("The cursor is malformed.")
    return key


async def may_manage(access: Any, user: Principal, event: Any) -> bool:
    """May ``user`` manage ``event``: the organisers' permission check where the container
    has one (team members with ``manage_events``), else owners and admins."""
    if access is not None:
        return bool(await access.can(user, event, "manage_events"))
    return catalog_rules.can_manage(event.owner_id, user)


class WebhookService:
    """Subscriptions of the calling organiser (admins see and manage any)."""

    def __init__(
        self, repo: Subscriptions, catalog: EventOwners, production: bool, access: Any = None
    ) -> None:
        self.repo, self.catalog, self.production = repo, catalog, production
        self.access = access  # contexts.organisers.access.OrganiserAccess, when present

    async def create(self, user: Principal, body: WebhookCreate) -> WebhookCreated:
        try:
            url = check_url(body.url, self.production)
        except UnsafeUrl as exc:
            raise Invalid(f"This URL cannot receive webhooks: {exc}.", code="unsafe_url") from exc
        if body.event_id is not None:
            event = await self.catalog.get_for_sale(body.event_id)
            if event is None:
                raise NotFound(f"No event {body.event_id}.")
            if not await may_manage(self.access, user, event):
                if event.stored_status == "draft":
                    raise NotFound(f"No event {body.event_id}.")  # a draft does not leak
                raise Forbidden("Only the event's organiser (or an admin) subscribes to it.")
        secret = new_secret()
        fields = {
            "owner_id": user.id,
            "url": url,
            "event_id": body.event_id,
            "events": sorted(set(body.events)),
            "secret": secret,
        }
        doc = await self.repo.create(fields)
        return WebhookCreated(**present(doc).model_dump(), secret=secret)

    async def list(self, user: Principal, limit: int, cursor: str | None) -> WebhookPage:
        docs = await self.repo.page_of_owner(user.id, _before(cursor), limit + 1)
        items = [present(d) for d in docs[:limit]]
        more = encode_cursor({"i": items[-1].id}) if len(docs) > limit else None
        return WebhookPage(items=items, next_cursor=more)

    async def get(self, user: Principal, subscription_id: str) -> WebhookPublic:
        return present(await self._mine(user, subscription_id))

    async def delete(self, user: Principal, subscription_id: str) -> None:
        doc = await self._mine(user, subscription_id)
        await self.repo.deactivate(doc)

    async def deliveries(
        self, user: Principal, subscription_id: str, limit: int, cursor: str | None
    ) -> DeliveryPage:
        doc = await self._mine(user, subscription_id)
        rows = await self.repo.page_of_deliveries(doc["_id"], _before(cursor), limit + 1)
        items = [
            DeliveryPublic(
                id=str(r["_id"]),
                message_id=r["message_id"],
                kind=r["kind"],
                attempt=r["attempt"],
                ok=r["ok"],
                status_code=r.get("status_code"),
                latency_ms=r["latency_ms"],
                error=r.get("error"),
                at=r["at"],
            )
            for r in rows[:limit]
        ]
        more = encode_cursor({"i": items[-1].id}) if len(rows) > limit else None
        return DeliveryPage(items=items, next_cursor=more)

    async def _mine(self, user: Principal, subscription_id: str) -> dict[str, Any]:
        doc = await self.repo.get(subscription_id)
        if doc is None or (doc["owner_id"] != user.id and not user.is_admin):
            raise NotFound(f"No webhook {subscription_id}.")  # another's does not leak
        return doc
