"""Catalog rules without I/O: derived statuses, schedules, and the TTL cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from contexts.catalog.rules import can_manage, can_see, check_schedule, derive_status
from contexts.shared.cache import TtlCache
from contexts.shared.principal import Principal

T0 = datetime(2030, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("stored", "now", "status"),
    [
        ("draft", T0, "draft"),
        ("cancelled", T0, "cancelled"),
        ("published", T0 - 10 * DAY, "published"),  # before the sale opens
        ("published", T0 - 5 * DAY, "on_sale"),
        ("published", T0 - DAY, "published"),  # sale closed, show not started
        ("published", T0 + DAY, "ended"),  # no ends_at: ended when it starts
    ],
)
def test_derived_status(stored: str, now: datetime, status: str) -> None:
    assert derive_status(stored, now, T0, None, T0 - 5 * DAY, T0 - 2 * DAY) == status


def test_on_sale_until_the_start_without_a_sale_end() -> None:
    assert derive_status("published", T0 - DAY, T0, T0 + DAY, T0 - 5 * DAY, None) == "on_sale"
    assert derive_status("published", T0, T0, T0 + DAY, T0 - 5 * DAY, None) == "published"


@pytest.mark.parametrize(
    "dates",
    [
        (T0, T0 - DAY, T0 - 5 * DAY, None),  # ends before it starts
        (T0, None, T0, None),  # the sale opens with the show
        (T0, None, T0 - DAY, T0 - 2 * DAY),  # the sale ends before it opens
        (T0, T0 + DAY, T0 - DAY, T0 + 2 * DAY),  # the sale outlives the event
    ],
)
def test_bad_schedules(dates: tuple) -> None:
    with pytest.raises(ValueError):
        check_schedule(*dates)


def test_visibility_and_management() -> None:
    owner, other = Principal("o", frozenset({"event_creator"})), Principal("x", frozenset())
    admin = Principal("a", frozenset({"admin"}))
    assert can_see("draft", False, "o", owner) and can_see("draft", False, "o", admin)
    assert not can_see("draft", False, "o", other) and not can_see("draft", False, "o", None)
    assert can_see("cancelled", True, "o", None) and not can_see("cancelled", False, "o", None)
    assert can_manage("o", owner) and can_manage("o", admin)
    assert not can_manage("o", other) and not can_manage("o", None)


async def test_cache_loads_once_for_concurrent_misses_and_expires() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(1.0, clock=lambda: now[0])
    loads: list[int] = []

    async def load() -> int:
        loads.append(1)
        await asyncio.sleep(0.01)
        return len(loads)

    assert await asyncio.gather(*(cache.get("k", load) for _ in range(5))) == [1] * 5
    now[0] = 0.9
    assert await cache.get("k", load) == 1
    now[0] = 1.0
    assert await cache.get("k", load) == 2
    cache.invalidate("k")
    assert await cache.get("k", load) == 3


async def test_cache_does_not_keep_failures_and_stays_bounded() -> None:
    cache: TtlCache[int, int] = TtlCache(60.0, max_entries=3)
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("down")
        return calls

    with pytest.raises(RuntimeError):
        await cache.get(0, flaky)
    assert await cache.get(0, flaky) == 2
    for key in range(1, 6):
        await cache.get(key, flaky)
    assert len(cache) == 3


async def test_a_caller_going_away_does_not_cancel_the_shared_load() -> None:
    cache: TtlCache[str, str] = TtlCache(60.0)
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "done"

    first = asyncio.create_task(cache.get("k", slow))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "done"


async def test_refresh_ahead_serves_the_old_value_while_reloading() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(1.0, clock=lambda: now[0], refresh_ahead=True)
    loads: list[int] = []
    release = asyncio.Event()

    async def load() -> int:
        loads.append(1)
        if len(loads) > 1:
            await release.wait()
        return len(loads)

    assert await cache.get("k", load) == 1
    now[0] = 0.4
    assert await cache.get("k", load) == 1 and len(loads) == 1  # young: no reload
    now[0] = 0.6
    assert await cache.get("k", load) == 1  # old: reloads behind, still served
    assert await cache.get("k", load) == 1
    await asyncio.sleep(0)
    assert len(loads) == 2  # one reload at a time
    release.set()
    await asyncio.sleep(0.01)  # the reload returns and is installed
    assert await cache.get("k", load) == 2
    now[0] = 1.5  # the reload started at 0.6: its value expires at 1.6, not later
    assert await cache.get("k", load) == 2
    now[0] = 1.6
    assert await cache.get("k", load) == 3


async def test_refresh_ahead_waits_when_expired_and_drops_reads_older_than_a_change() -> None:
    now = [0.0]
    cache: TtlCache[str, str] = TtlCache(1.0, clock=lambda: now[0], refresh_ahead=True)
    value, release = ["old"], asyncio.Event()

    async def load() -> str:
        seen = value[0]
        await release.wait()
        return seen

    release.set()
    assert await cache.get("k", load) == "old"
    release.clear()
    now[0] = 0.6
    assert await cache.get("k", load) == "old"  # a reload starts, reading "old"
    value[0] = "new"
    cache.invalidate("k")  # the change: the reload in flight read what it replaced
    release.set()
    assert await cache.get("k", load) == "new"
    await asyncio.sleep(0.01)
    assert await cache.get("k", load) == "new"  # the stale reload was not installed
    release.clear()
    now[0] = 1.2  # reload behind at 1.2 (the value is from 0.6)
    reader = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0)
    now[0] = 1.7  # expired while reloading: readers wait for that reload
    waiting = asyncio.create_task(cache.get("k", load))
    await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    assert await reader == "new" and await waiting == "new"
