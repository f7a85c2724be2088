"""Live feeds behind GET /v1/events/{id}/stream, on a real inventory actor in a local Ray:
one reader per event whatever the number of subscribers, a full state first, then only
the rows that changed, a full state again for a subscriber that fell behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from actors.router import InventoryRouter
from contexts.catalog.live_feed import LiveFeeds
from engine import HoldSeats
from tests.integration.ray_support import make_router, ray_local, sqlite_url
from tests.unit.engine_helpers import terms_for, venue
from tests.waiting import eventually

__all__ = ["ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")

INTERVAL_S = 0.05


async def message(stream: AsyncIterator[bytes], timeout: float = 2.0) -> tuple[str, Any]:
    """The next event of a stream (comments and the retry line skipped): kind, data."""
    async with asyncio.timeout(timeout):
        async for chunk in stream:
            lines = dict(line.split(": ", 1) for line in chunk.decode().splitlines() if line)
            if "event" in lines:
                return lines["event"], json.loads(lines["data"])
    raise AssertionError("the stream ended")


async def opened(tmp_path: Path) -> InventoryRouter:
    router = make_router(sqlite_url(tmp_path))
    v = venue({"A": [10, 10]})
    await router.open("ev", v, terms_for(v))
    return router


async def test_subscribers_share_one_reader_and_get_the_changed_rows(tmp_path: Path) -> None:
    router = await opened(tmp_path)
    feeds = LiveFeeds(router, INTERVAL_S, max_s=30)
    streams = [feeds.stream("ev") for _ in range(3)]
    for stream in streams:
        kind, state = await message(stream)
        assert kind == "state" and state["availability"]["available"] == 20
        assert [row["states"] for row in state["sections"][0]["rows"]] == ["A" * 10] * 2
    assert list(feeds._feeds) == ["ev"] and feeds._feeds["ev"].subscribers == 3

    await router.hold("ev", HoldSeats("ann", ("A-2-3", "A-2-4")))
    for stream in streams:
        kind, change = await message(stream, timeout=1.0)  # within a tick or two
        assert kind == "change"
        assert change["rows"] == [[0, 1, "AAHHAAAAAA"]]
        assert (change["availability"]["held"], change["availability"]["available"]) == (2, 18)

    for stream in streams:
        await stream.aclose()  # as when a browser leaves: the reader stops with the last
    assert feeds._feeds == {}
    await router.close()


async def test_a_subscriber_behind_by_two_versions_gets_the_whole_state(tmp_path: Path) -> None:
    router = await opened(tmp_path)
    feeds = LiveFeeds(router, INTERVAL_S, max_s=30)
    slow = feeds.stream("ev")
    assert (await message(slow))[0] == "state"
    feed = feeds._feeds["ev"]
    seen = feed.current.number
    for n, seat in enumerate(("A-1-1", "A-1-2"), start=1):
        await router.hold("ev", HoldSeats(f"buyer{n}", (seat,)))
        # The reader saw it; the slow one did not read.
        await eventually(lambda n=n: feed.current.number >= seen + n, 10, "the feed read it")
    kind, state = await message(slow)
    assert kind == "state" and state["sections"][0]["rows"][0]["states"].startswith("HHA")
    await slow.aclose()
    await router.close()


async def test_a_stream_ends_after_its_lifetime(tmp_path: Path) -> None:
    router = await opened(tmp_path)
    feeds = LiveFeeds(router, INTERVAL_S, max_s=1.0)
    chunks = [chunk async for chunk in feeds.stream("ev")]
    assert chunks[0] == b"retry: 1000\n\n" and b"event: state" in chunks[1]
    assert feeds._feeds == {}
    await router.close()
