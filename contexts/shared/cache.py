"""A small in-process TTL cache with single-flight loading, for hot read paths.

Used where many requests ask for the same thing within a second (an event's sale
state on every reservation, a 100 KB seat map during an on-sale): the first miss
loads, concurrent misses for the same key await that same load, and the value is
served until its TTL lapses. Per process and per event loop; staleness is bounded
by the TTL, and writers in this process ``invalidate`` what they change. A cache
given a ``name`` (those that decide what a request may do) also has its
invalidations broadcast to the other API processes (contexts.shared.cache_bus).

``refresh_ahead``: a value older than half its TTL is reloaded in the background by
the first request that sees it, while it goes on being served; so a hot key never
expires under its readers, who otherwise all waited for the reload (on the reserve
path a database round trip every TTL: up to 250 ms on a loaded machine, the whole
process's reserves for that event stalled behind it; docs/performance.md, "Tail
latency"). Staleness keeps its bound: a reloaded value expires one TTL after its
reload started, and an ``invalidate`` during a reload discards what it read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

from contexts.shared import cache_bus


class TtlCache[K: Hashable, V]:
    """``await cache.get(key, load)``: the cached value, or ``load()``'s, shared by all."""

    def __init__(
        self,
        ttl: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
        refresh_ahead: bool = False,
    ) -> None:
        self.ttl = ttl
        self.refresh_ahead = refresh_ahead
        self._refreshing: dict[K, asyncio.Future[V]] = {}
        self.max_entries = max_entries
        self.clock = clock
        self.name = name
        self._entries: dict[K, tuple[float, asyncio.Future[V]]] = {}
        if name is not None:
            cache_bus.register(name, self)

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        if self.ttl <= 0:
            return await load()
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            if (
                self.refresh_ahead
                and entry[0] - now < self.ttl / 2
                and entry[1].done()
                and key not in self._refreshing
            ):
                self._refresh(key, now, load)
        elif (refreshing := self._refreshing.get(key)) is not None:
            return await asyncio.shield(refreshing)  # expired while reloading: wait for it
        else:
            future: asyncio.Future[V] = asyncio.ensure_future(load())
            entry = (now + self.ttl, future)
            self._entries[key] = entry
            future.add_done_callback(lambda done: self._forget_failure(key, done))
            if len(self._entries) > self.max_entries:
                self._evict(now)
        # Shielded: a caller that goes away must not cancel the load others await.
        return await asyncio.shield(entry[1])

    def _refresh(self, key: K, started: float, load: Callable[[], Awaitable[V]]) -> None:
        future: asyncio.Future[V] = asyncio.ensure_future(load())
        self._refreshing[key] = future

        def done(loaded: asyncio.Future[V]) -> None:
            if self._refreshing.get(key) is not loaded:
                return  # invalidated meanwhile: what it read may predate the change
            del self._refreshing[key]
            if not loaded.cancelled() and loaded.exception() is None:
                self._entries[key] = (started + self.ttl, loaded)
            # A failed reload keeps the old value until its TTL; the next get retries.

        future.add_done_callback(done)

    def invalidate(self, key: K) -> None:
        """Forget ``key`` here, and (a named cache) in every other API process."""
        self._entries.pop(key, None)
        self._refreshing.pop(key, None)
        if self.name is not None:
            cache_bus.broadcast(self.name, key)

    def drop(self, key: K) -> None:
        """Forget ``key`` here only (another process's invalidation arrived)."""
        self._entries.pop(key, None)
        self._refreshing.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self._refreshing.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _forget_failure(self, key: K, done: asyncio.Future[V]) -> None:
        # A failed load is not cached: the next caller tries again.
        if done.cancelled() or done.exception() is not None:
            entry = self._entries.get(key)
            if entry is not None and entry[1] is done:
                del self._entries[key]

    def _evict(self, now: float) -> None:
        for key in [k for k, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[key]
        while len(self._entries) > self.max_entries:  # oldest first (insertion order)
            del self._entries[next(iter(self._entries))]
