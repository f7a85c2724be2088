"""RabbitMQ queue depths for ``ticketing cluster status``.

Asked of the broker itself with a passive ``queue_declare`` (it reports the ready
message count and the consumer count without creating anything), over AMQP, so no
management plugin or its credentials are needed. Queue names are the workers' own
(``contexts/shared/queues.py``): ``<worker>``, ``<worker>.dead`` and ``<worker>.retry.<n>``,
prefixed by ``AMQP_QUEUE_PREFIX``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
from aio_pika.exceptions import ChannelClosed

from contexts.shared.queues import worker_queue_names

__all__ = ["queue_depths", "worker_queue_names"]

TIMEOUT_S = 5.0


async def queue_depths(amqp_url: str, names: list[str]) -> dict[str, Any]:
    """``{"reachable", "error", "queues": {name: {messages, consumers} | None}}``;
    None for a queue that does not exist (no worker declared it yet)."""
    try:
        async with asyncio.timeout(TIMEOUT_S):
            connection = await aio_pika.connect(amqp_url, timeout=TIMEOUT_S)
    except Exception as exc:  # down, refused, bad credentials: a status row, not a crash
        return {"reachable": False, "error": f"{type(exc).__name__}: {exc}", "queues": {}}
    queues: dict[str, dict[str, int] | None] = {}
    try:
        async with asyncio.timeout(TIMEOUT_S * 2):
            for name in names:
                # A passive declare of a missing queue closes the channel: one per queue.
                channel = await connection.channel()
                try:
                    queue = await channel.declare_queue(name, passive=True)
                    result = queue.declaration_result
                    queues[name] = {
                        "messages": result.message_count,
                        "consumers": result.consumer_count,
                    }
                except ChannelClosed:
                    queues[name] = None
                finally:
                    if not channel.is_closed:
                        await channel.close()
    finally:
        await connection.close()
    return {"reachable": True, "error": None, "queues": queues}
