"""Worker queues of throwaway runs expire on the broker; a deployment's never do."""

import asyncio
import uuid

import aio_pika
import pytest

from tests.waiting import eventually
from workers.bus import EVENTS_EXCHANGE, QueueSpec, declare

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


async def _listed(names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` the broker lists. rabbitmqctl, not a passive declare: a declare
    renews the queue's lease, so polling with it would keep the queue alive."""
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "-q", "list_queues", "name", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    return set(out.decode().split()) & set(names)


@pytest.mark.parametrize("expires_s", [1.0, 0.0])
async def test_an_unused_queue_expires_only_when_asked(expires_s: float) -> None:
    name = f"expiry-{uuid.uuid4().hex[:8]}.payments"
    spec = QueueSpec(name, ((EVENTS_EXCHANGE, "expiry.test"),), (1.0,), expires_s=expires_s)
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        await declare(channel, spec)
        await channel.close()
        queues = (name, f"{name}.dead", f"{name}.retry.0")
        if expires_s:

            async def all_gone() -> bool:
                return not await _listed(queues)

            await eventually(all_gone, timeout=30.0, what="expired queues deleted")
        else:
            assert await _listed(queues) == set(queues)
    finally:
        channel = await connection.channel()
        for queue in (name, f"{name}.dead", f"{name}.retry.0"):
            await channel.queue_delete(queue)
        await connection.close()
