"""The CSV export of a 20,000-ticket event is streamed: rows leave while the orders are
still being read, and the process never holds the event whole.

The event's tickets sit in 20 orders of 1,000 (mongoeco slows as a collection grows:
few, large orders, as production stores them). The app is called as raw ASGI, so
every body message is seen as it is sent (httpx's ASGI transport would gather them).
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from contexts.tickets.reports_store import TICKET_FIELDS, ReportsStore
from tests.integration.api_support import Api, api
from tests.integration.orders_seed import seed_order
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import on_sale_event

__all__ = ["api", "ray_local"]
pytestmark = pytest.mark.usefixtures("ray_local")
ORDERS, PER_ORDER = 20, 1_000


async def stream(api: Api, path: str, token: str, read: list[int]) -> dict[str, Any]:
    """GET ``path`` as raw ASGI: the status, every body chunk's size, how many orders
    the cursor had handed out when each was sent, and the lines received."""
    seen: dict[str, Any] = {"status": None, "chunks": [], "read_at": [], "lines": 0}
    requested, finished = [False], asyncio.Event()

    async def receive() -> dict[str, Any]:
        # The request once; then, like a server, nothing until the client goes away
        # (Starlette's streaming listens for a disconnect meanwhile).
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            seen["chunks"].append(len(message["body"]))
            seen["read_at"].append(read[0])
            seen["lines"] += message["body"].count(b"\n")  # counted, then dropped
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    await api.app(scope, receive, send)
    return seen


async def test_csv_export_of_20000_tickets_streams_in_chunks(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator, area=ORDERS * PER_ORDER)
    started = time.monotonic()
    for i in range(ORDERS):
        await seed_order(api, event_id, f"buyer-{i:02d}", quantity=PER_ORDER)
    seeded_s = time.monotonic() - started

    read = [0]  # orders the report cursor has handed out so far
    original = ReportsStore.confirmed_tickets

    async def counted(
        self: ReportsStore, event_id: str, batch_size: int
    ) -> AsyncIterator[dict[str, Any]]:
        assert batch_size == 2  # 2,000 tickets a batch: two orders of 1,000
        async for order in original(self, event_id, batch_size):
            read[0] += 1
            yield order

    monkeypatch.setattr(ReportsStore, "confirmed_tickets", counted)
    path = f"/v1/events/{event_id}/reports/tickets.csv"
    token = creator["access_token"]
    await stream(api, path, token, read)  # warm-up: imports, caches, connections
    read[0] = 0

    tracemalloc.start()
    started = time.monotonic()
    seen = await stream(api, path, token, read)
    streamed_s = time.monotonic() - started
    _, streaming_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    # What an export that loads the event first would hold, for comparison.
    query = {"event_id": event_id, "status": "confirmed"}
    everything = await api.container.orders.collection.find(query, TICKET_FIELDS).to_list()
    _, loaded_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del everything

    total = sum(seen["chunks"])
    print(
        f"seeded {ORDERS * PER_ORDER} tickets in {seeded_s:.1f}s; streamed {total} bytes in "
        f"{len(seen['chunks'])} chunks in {streamed_s:.1f}s (traced); peak "
        f"{streaming_peak / 1e6:.1f} MB streaming vs {loaded_peak / 1e6:.1f} MB loading all"
    )
    assert seen["status"] == 200
    assert seen["lines"] == ORDERS * PER_ORDER + 1  # the header, then a row per ticket
    assert len(seen["chunks"]) == ORDERS  # a chunk per order (the header in the first)
    first_rows = seen["read_at"][0]
    assert first_rows <= 2, f"the first rows waited for {first_rows} orders to be read"
    assert seen["read_at"][-1] == ORDERS
    # One batch of orders (2 x 1,000 tickets) and one chunk at a time: below the size of
    # the CSV itself, and a fraction of what holding the event's orders takes.
    assert streaming_peak < total, (streaming_peak, total)
    assert streaming_peak < loaded_peak / 4, (streaming_peak, loaded_peak)
