"""The orders context (payments, orders, tickets) assembled: its one line in the
composition root, like ``start_catalog`` for the catalog.

It builds the orders repository on the context's own database, the ticket signer,
the Stripe gateway, the events publisher and the settlement they share, and hangs
them on the container, where the routes (``api.deps``) and the payments worker
(``workers.payments``) find them.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import aio_pika

from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersRepository
from contexts.orders.stripe_gateway import StripeGateway
from contexts.tickets.signer import TicketSigner

if TYPE_CHECKING:
    from bootstrap import Container

log = logging.getLogger(__name__)


async def start_orders(container: Container) -> None:
    settings = (
        container.settings
    )  # production's refusals: contexts.shared.settings, before any start
    orders = OrdersRepository(container.db("orders"))
    await orders.ensure_indexes()
    container.orders = orders
    container.signer = TicketSigner.from_settings(settings)
    container.stripe = StripeGateway.from_settings(settings)
    container.settlement = Settlement(
        orders,
        container.router,
        container.stripe,
        container.signer,
        container.publisher,
        container.audit,
        settings.payment_hold_extension_s,
    )
    if container.amqp_url:
        await declare_payments_queue(container)


async def declare_payments_queue(container: Container) -> None:
    """Declare the payments worker's queue now: a payment requested while no worker
    runs then waits in it, instead of being dropped as unroutable."""
    from workers.bus import declare  # late: workers.payments imports this package
    from workers.payments.worker import queue_spec

    try:
        connection = await aio_pika.connect(container.amqp_url, timeout=5)
        async with connection:
            await declare(await connection.channel(), queue_spec(container.settings))
    except Exception:  # the API still serves; payments answer 503 until the broker is back
        log.exception("could not declare the payments queue")


async def close_orders(container: Container) -> None:
    """Close the publisher's connection and Stripe's HTTP client (never raises)."""
    for adapter in (container.publisher, container.stripe):
        if adapter is not None:
            with contextlib.suppress(Exception):  # closing the rest matters more
                await adapter.close()
