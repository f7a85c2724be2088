"""The orders context (payments, orders, tickets) assembled: its one line in the
composition root, like ``start_catalog`` for the catalog.

It builds the orders repository on the context's own database, the ticket signer,
the Stripe gateway and the settlement they share, from the ports the composition root
hands in (no container here); the root keeps them where the routes (``api.deps``) and
the payments worker (``workers.payments``) find them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from actors.router import InventoryRouter
from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore
from contexts.orders.stripe_gateway import StripeGateway
from contexts.organisers.audit import AuditLog
from contexts.shared.publisher import MessagePublisher
from contexts.shared.settings import Settings
from contexts.tickets.signer import TicketSigner


@dataclass(frozen=True, slots=True)
class OrdersParts:
    """What the orders context adds to the process."""

    orders: OrdersStore
    signer: TicketSigner
    stripe: StripeGateway
    settlement: Settlement


async def start_orders(
    db: AsyncDatabase[dict[str, Any]],
    settings: Settings,
    router: InventoryRouter,
    publisher: MessagePublisher,
    audit: AuditLog,
) -> OrdersParts:
    """Production's refusals (contexts.shared.settings) ran before any start."""
    orders = OrdersStore(db)
    await orders.ensure_indexes()
    signer = TicketSigner.from_settings(settings)
    stripe = StripeGateway.from_settings(settings)
    settlement = Settlement(
        orders, router, stripe, signer, publisher, audit, settings.payment_hold_extension_s
    )
    return OrdersParts(orders, signer, stripe, settlement)
