"""Event search: the public catalog (published events only), or the caller's own events.

Ordered by ``(starts_at, id)`` with keyset cursors, so paging through while events
are created or published never skips or repeats one. ``mine=true`` lists every event
the caller owns, or that belongs to an organiser they are a member of, whatever its
status (drafts, cancelled); it needs a caller, and an admin gets their own events too
(the public filters still apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from contexts.catalog.docs import object_id
from contexts.catalog.events import event_public
from contexts.catalog.events_store import EventsStore
from contexts.catalog.rules import now_ms
from contexts.catalog.schemas import Category, EventPublic
from contexts.organisers.access import OrganiserAccess
from contexts.shared.errors import Unauthorized
from contexts.shared.pagination import InvalidCursor, Page, decode_cursor, encode_cursor
from contexts.shared.principal import Principal


@dataclass(frozen=True, slots=True)
class EventQuery:
    """The filters of a search, as the route parsed them."""

    q: str | None = None
    category: Category | None = None
    city: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    mine: bool = False


class EventSearch:
    """Runs searches against the events repository."""

    def __init__(self, events: EventsStore, access: OrganiserAccess | None = None) -> None:
        self.events, self.access = events, access

    async def search(
        self, user: Principal | None, query: EventQuery, limit: int, cursor: str | None
    ) -> Page[EventPublic]:
        if query.mine and user is None:
            raise Unauthorized("mine=true lists your own events: sign in.")
        teams = None
        if query.mine and user is not None and self.access is not None:
            teams = await self.access.organiser_ids(user)
        docs = await self.events.search(
            limit=limit + 1,
            status=None if query.mine else "published",
            owner_id=user.id if query.mine and user is not None else None,
            organiser_ids=teams,
            q=query.q.strip() if query.q and query.q.strip() else None,
            category=str(query.category) if query.category else None,
            city=query.city.strip() if query.city and query.city.strip() else None,
            starts_from=query.starts_from,
            starts_to=query.starts_to,
            after=_after(cursor) if cursor else None,
        )
        more = len(docs) > limit
        docs = docs[:limit]
        next_cursor = None
        if more:
            last = docs[-1]
            next_cursor = encode_cursor({"s": last["starts_at"].isoformat(), "i": str(last["_id"])})
        now = now_ms()
        items = [event_public(d, now) for d in docs]
        return Page[EventPublic](items=items, next_cursor=next_cursor)


def _after(cursor: str) -> tuple[datetime, ObjectId]:
    key = decode_cursor(cursor, ("s", "i"))
    oid = object_id(key["i"])
    try:
        at = datetime.fromisoformat(key["s"]) if isinstance(key["s"], str) else None
    except ValueError:
        at = None
    if oid is None or at is None or at.tzinfo is None:
        raise InvalidCursor("The cursor is malformed.")
    return at, oid
