"""The outbox relay's CPU per event, alone, against the local broker (docs/performance.md).

    .venv/bin/python docs/perf/relay_cost.py [--events 20000] [--batch 100]

Hands batches of encoded events to a relay over a memory journal, as the inventory
actor does after each journal write, waits until the broker confirmed them all, and
prints this process's CPU time per event. Uses a throwaway exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from actors.journal.memory import MemoryJournal
from actors.outbox import OutboxRelay
from tests.integration.test_outbox_relay import make_events

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


async def main(events: int, batch: int) -> None:
    journal, exchange = MemoryJournal(), f"perf.relay.{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(journal, "evt", "evt", AMQP_URL, exchange, batch_size=500)
    relay.start()
    async with asyncio.timeout(10):
        while not relay.caught_up:
            await asyncio.sleep(0.01)
    cpu, wall, seq = time.process_time(), time.perf_counter(), 0
    while seq < events:
        handed = make_events(seq + 1, batch)
        await journal.append("evt", handed)
        seq += batch
        relay.notify(seq, handed)
        await asyncio.sleep(0.001)  # the actor's pace: a batch per journal write
    await relay.wait_published(events, timeout=120)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{1e6 * cpu / events:.1f} us CPU per event ({events} in {wall:.1f} s)")
    channel = relay.publisher._channel
    if channel is not None:
        await channel.exchange_delete(exchange)
    await relay.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batch))
