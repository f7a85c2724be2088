"""Server-sent places: one long poll per event and process, shared by every stream.

Each open ``/queue/stream`` of an event registers its buyer with the event's feed;
the feed asks the queue actor for all their places in one call, which waits in the
actor until something changes (an admission, an opening, a close) or ``POLL_S``
passes, then hands each stream its buyer's place. So ten thousand buyers watching
cost the actor one call a second at most, and a sold-out reaches all of them in
the same round. The task stops with its last listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from actors.queue_router import QueueRouter

log = logging.getLogger(__name__)
POLL_S = 10.0  # the actor answers at once on a change, else after this long
ROUND_S = 1.0  # at most one round a second: places change by the tick during a sale
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing the stream
MAX_STREAM_S = 300.0  # then the stream ends and the EventSource reconnects
RETRY_MS = 2000
TERMINAL = frozenset({"admitted", "used", "expired", "sold_out", "closed"})


def sse(kind: str, data: dict[str, Any]) -> str:
    """One server-sent event; ``data`` is one line of compact JSON."""
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class Feed:
    """The long poll of one event for this process's listeners."""

    def __init__(self, queues: QueueRouter, event_id: str) -> None:
        self.queues, self.event_id = queues, event_id
        self.listeners: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.answered: tuple[str, ...] = ()  # the accounts the latest round told (tests wait)

    async def run(self) -> None:
        since = -1
        asked: tuple[str, ...] = ()  # the accounts of the last answer
        while self.listeners:
            accounts = tuple(sorted(self.listeners))
            started = asyncio.get_running_loop().time()
            # A newcomer is answered at once, not after the next change.
            wait = since if accounts == asked else -1
            try:
                answer = await self.queues.views(self.event_id, list(accounts), wait, POLL_S)
            except Exception as exc:  # actor restarting: the streams keep their last place
                log.warning("queue feed failed event=%s error=%r", self.event_id, exc)
                await asyncio.sleep(ROUND_S)
                continue
            since, asked = answer["seq"], accounts
            for account, view in zip(accounts, answer["views"], strict=True):
                for inbox in self.listeners.get(account, ()):
                    latest(inbox, view)
            self.answered = accounts
            elapsed = asyncio.get_running_loop().time() - started
            await asyncio.sleep(max(0.0, ROUND_S - elapsed))


def latest(inbox: asyncio.Queue[dict[str, Any] | None], view: dict[str, Any] | None) -> None:
    """Keep only the newest place: a slow reader skips stale ones."""
    with contextlib.suppress(asyncio.QueueEmpty):
        inbox.get_nowait()
    inbox.put_nowait(view)


class WaitingRoomFeeds:
    """The feeds of this process, one per event with listeners."""

    def __init__(self, queues: QueueRouter) -> None:
        self.queues = queues
        self._feeds: dict[str, Feed] = {}

    @contextlib.asynccontextmanager
    async def listen(
        self, event_id: str, account: str
    ) -> AsyncIterator[asyncio.Queue[dict[str, Any] | None]]:
        """An inbox of ``account``'s place in ``event_id``'s queue, while in the block."""
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = Feed(self.queues, event_id)
        inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1)
        feed.listeners.setdefault(account, set()).add(inbox)
        if feed.task is None or feed.task.done():
            feed.task = asyncio.create_task(feed.run())
        try:
            yield inbox
        finally:
            boxes = feed.listeners.get(account, set())
            boxes.discard(inbox)
            if not boxes:
                feed.listeners.pop(account, None)
            if not feed.listeners:  # the task ends by itself; forget the feed now
                self._feeds.pop(event_id, None)

    async def close(self) -> None:
        tasks = [feed.task for feed in self._feeds.values() if feed.task is not None]
        self._feeds.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
