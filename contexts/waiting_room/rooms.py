"""The organiser's side of a waiting room: turn it on, set its pace and access list,
watch its counts. Owners and admins only (403 to others who can see the event)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from contexts.catalog.context import Catalog
from contexts.shared.errors import Conflict, Forbidden
from contexts.shared.principal import Principal
from contexts.waiting_room.context import WaitingRoomContext
from contexts.waiting_room.errors import UnknownAccounts
from contexts.waiting_room.rooms_store import RoomSettings
from contexts.waiting_room.schemas import RoomStatus, WaitingRoomCreate, WaitingRoomPublic
from engine.queue_messages import CloseQueue, ConfigureQueue


class AccountDirectory(Protocol):
    """What the access list needs of the auth context: ids by email."""

    async def ids_by_email(self, emails: list[str]) -> dict[str, str]: ...


def room_status(room: RoomSettings, summary: dict[str, Any]) -> RoomStatus:
    if summary["closed"]:
        return "sold_out" if summary["closed"] == "sold_out" else "closed"
    if not room.enabled:
        return "off"
    if summary["opened_at"] is None:
        return "pre_sale"
    return "paused" if summary["paused"] else "open"


class WaitingRoomService:
    """Settings and counts of events' waiting rooms."""

    def __init__(
        self, context: WaitingRoomContext, catalog: Catalog, users: AccountDirectory
    ) -> None:
        self.ctx, self.catalog, self.users = context, catalog, users

    async def configure(
        self, user: Principal, event_id: str, body: WaitingRoomCreate
    ) -> WaitingRoomPublic:
        event = await self.catalog.events.get(user, event_id)  # 404 for a draft not theirs
        if not await self.catalog.can(user, event, "manage_events"):
            raise Forbidden("Only the event's owner or an admin may set up its waiting room.")
        if event.status in ("cancelled", "ended"):
            raise Conflict(f"This event is {event.status}.", code=f"event_{event.status}")
        access = await self._accounts(body.access_list)
        room = RoomSettings(
            event_id=event_id,
            enabled=body.enabled,
            opens_at=body.opens_at or event.sale_starts_at,
            rate_per_minute=body.rate_per_minute,
            max_active=body.max_active,
            admission_ttl_seconds=body.admission_ttl_seconds,
            access_list_size=None if access is None else len(access),
        )
        before = await self.ctx.rooms.get(event_id)
        queues, now = self.ctx.queues, datetime.now(UTC)
        if room.enabled:
            # The queue first, then the switch: reserve asks for admissions only once
            # the queue that hands them out is set up (a refusal leaves the room as was).
            command = ConfigureQueue(
                room.opens_at.timestamp(),
                room.rate_per_minute,
                room.max_active,
                float(room.admission_ttl_seconds),
                access,
                # Admission also follows checkout: no more buyers holding unpaid seats
                # than payments can charge in a hold's time (at Stripe's rate).
                self.ctx.max_unpaid(event.hold_ttl_seconds),
            )
            await self.ctx.ask(event_id, lambda: queues.execute(event_id, command))
            await self.ctx.rooms.save(room, now)
        elif before is not None:
            # The switch first: from here reserving needs no admission; then everyone
            # still waiting is told (status closed) and the queue stops for good.
            await self.ctx.rooms.save(room, now)
            await self.ctx.ask(event_id, lambda: queues.execute(event_id, CloseQueue("disabled")))
        return await self.view(user, event_id)

    async def view(self, user: Principal | None, event_id: str) -> WaitingRoomPublic:
        """The room's settings and counts (anyone who can see the event)."""
        await self.catalog.events.get(user, event_id)
        room = await self.ctx.rooms.get(event_id)
        if room is None:
            return WaitingRoomPublic(event_id=event_id, enabled=False, status="off")
        summary = await self.ctx.ask(event_id, lambda: self.ctx.queues.summary(event_id))
        rate = summary["admissions_per_s"]
        return WaitingRoomPublic(
            event_id=event_id,
            enabled=room.enabled,
            status=room_status(room, summary),
            opens_at=room.opens_at,
            rate_per_minute=room.rate_per_minute,
            max_active=room.max_active,
            admission_ttl_seconds=room.admission_ttl_seconds,
            access_list_size=room.access_list_size,
            joined=summary["joined"],
            waiting=summary["waiting"],
            admitted=summary["admitted"],
            used=summary["used"],
            expired=summary["expired"],
            admissions_per_minute=None if rate is None else round(rate * 60, 1),
        )

    async def _accounts(self, refs: list[str] | None) -> tuple[str, ...] | None:
        """User ids of an access list of emails and ids (422 naming unknown emails)."""
        if refs is None:
            return None
        emails = sorted({r.lower() for r in refs if "@" in r})
        found = await self.users.ids_by_email(emails) if emails else {}
        if unknown := [e for e in emails if e not in found]:
            raise UnknownAccounts(
                f"{len(unknown)} of the emails belong to no account.", emails=unknown[:100]
            )
        return tuple(sorted({r for r in refs if "@" not in r} | set(found.values())))
