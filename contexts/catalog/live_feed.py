"""Live feeds of events' inventories, for server-sent events: one reader per event.

Every subscriber of one event shares one background task that reads the event's seat
states from its actor(s) every ``interval_s``: one actor call per tick while nothing
changes, one more for the counts when something did. So a thousand open seat maps
cost the actor what one does, and a taken seat reaches every browser within a tick.
Each version keeps the rows that changed since the one before: a subscriber one
version behind is sent those rows, one further behind (a slow connection) the whole
state again. The task stops with its last subscriber.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from actors.router import InventoryRouter

log = logging.getLogger(__name__)

KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing an idle stream
RETRY_MS = 1000  # how long a browser waits before it reconnects a closed stream

type Row = tuple[int, int, str]  # section index, row index, the row's states


@dataclass(frozen=True, slots=True)
class Version:
    """One observed state of the event, numbered by the feed."""

    number: int
    seq: int  # the inventory's sequence number(s), summed over shards
    availability: dict[str, Any]
    sections: list[dict[str, Any]]
    rows: list[Row]  # what changed since version ``number - 1``


def changed_rows(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Row]:
    """The rows whose states differ (the layout of a venue never changes)."""
    return [
        (s, r, row["states"])
        for s, (old, new) in enumerate(zip(before, after, strict=True))
        for r, (was, row) in enumerate(zip(old["rows"], new["rows"], strict=True))
        if was["states"] != row["states"]
    ]


def sse(kind: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event (``data`` is one line of compact JSON)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


@dataclass(eq=False)
class Feed:
    """The shared reader of one event and what it last saw."""

    event_id: str
    router: InventoryRouter
    interval_s: float
    current: Version | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: int = 0
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Read the event every ``interval_s`` until cancelled (by the last subscriber)."""
        failing = False
        while True:
            try:
                await self.refresh()
                failing = False
            except Exception as exc:  # the actor may be restarting: the next tick retries
                if not failing:  # one line per outage, not four a second
                    log.warning("live feed read failed event=%s error=%r", self.event_id, exc)
                failing = True
            await asyncio.sleep(self.interval_s)

    async def refresh(self) -> None:
        """One read: the seat states; the counts too, and a new version, if they moved."""
        seats = await self.router.seats(self.event_id)
        previous = self.current
        if previous is not None and seats["seq"] == previous.seq:
            return
        counts = await self.router.availability(self.event_id)
        rows = changed_rows(previous.sections, seats["sections"]) if previous else []
        number = previous.number + 1 if previous else 1
        self.current = Version(number, seats["seq"], counts, seats["sections"], rows)
        # Wake every waiting subscriber; later waiters wait on a fresh event.
        self.changed.set()
        self.changed = asyncio.Event()


class LiveFeeds:
    """The feeds of one API process, keyed by event id."""

    def __init__(self, router: InventoryRouter, interval_s: float, max_s: float) -> None:
        self.router = router
        self.interval_s = interval_s
        self.max_s = max_s
        self._feeds: dict[str, Feed] = {}

    def _join(self, event_id: str) -> Feed:
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = Feed(event_id, self.router, self.interval_s)
            feed.task = asyncio.create_task(feed.run(), name=f"live-feed:{event_id}")
        feed.subscribers += 1
        return feed

    def _leave(self, feed: Feed) -> None:
        feed.subscribers -= 1
        if feed.subscribers == 0 and self._feeds.get(feed.event_id) is feed:
            del self._feeds[feed.event_id]
            if feed.task is not None:
                feed.task.cancel()

    async def stream(self, event_id: str) -> AsyncIterator[bytes]:
        """The event's stream for one subscriber: ``state`` first (counts and every
        row), then ``change`` (counts and changed rows), until ``max_s`` has passed."""
        feed = self._join(event_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_s
        sent = 0  # the number of the last version sent
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while True:
                waiter, version = feed.changed, feed.current  # before yielding: no lost wake-up
                if version is not None and version.number != sent:
                    yield self._message(version, sent)
                    sent = version.number
                left = deadline - loop.time()
                if left <= 0:
                    return
                try:
                    await asyncio.wait_for(waiter.wait(), min(left, KEEPALIVE_S))
                except TimeoutError:
                    yield b": keep-alive\n\n"
        finally:
            self._leave(feed)

    @staticmethod
    def _message(version: Version, sent: int) -> bytes:
        body: dict[str, Any] = {"seq": version.seq, "availability": version.availability}
        if sent and version.number == sent + 1:
            return sse("change", {**body, "rows": version.rows}, version.seq)
        return sse("state", {**body, "sections": version.sections}, version.seq)
