"""The composition root: builds every adapter the API uses, once, at startup.

Nothing connects at import time. ``start`` brings up (or reaches) MongoDB, Ray and
the inventory router; ``close`` tears them down. Tests build a container from
their own ``Settings`` (their own MongoDB database prefix, the Ray they started).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import ray
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from actors.config import ActorConfig, RouterConfig
from actors.mongo_embedded import EmbeddedMongo, mongodb_url
from actors.router import InventoryRouter
from contexts.auth.accounts import start_accounts
from contexts.auth.tokens import TokenService
from contexts.auth.users_store import UsersRepository
from contexts.catalog.context import start_catalog
from contexts.catalog.reopen import CatalogReopener
from contexts.orders.context import close_orders, start_orders
from contexts.organisers.access import start_audit, start_organisers
from contexts.shared.cache_bus import CacheBus
from contexts.shared.logging import redact_url
from contexts.shared.publisher import EventsPublisher
from contexts.shared.ratelimit import RateLimiter
from contexts.shared.settings import Settings
from contexts.shared.telemetry import ACTOR_SERVICE, setup_process_tracing, tracing_config
from workers.host import start_workers

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Every long-lived adapter of one API process."""

    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]
    router: InventoryRouter
    limiter: RateLimiter = field(default_factory=RateLimiter)
    embedded_mongo: EmbeddedMongo | None = None
    started_ray: bool = False
    amqp_url: str | None = None
    tokens: Any = None  # api.security.TokenService, set by start()
    users: Any = None  # contexts.auth.users_store.UsersRepository, set by start()
    catalog: Any = None  # contexts.catalog.context.Catalog, set by start()
    orders: Any = None  # contexts.orders.store.OrdersRepository, set by start_orders()
    publisher: Any = None  # contexts.shared.publisher.EventsPublisher (events exchange)
    stripe: Any = None  # contexts.orders.stripe_gateway.StripeGateway
    signer: Any = None  # contexts.tickets.signer.TicketSigner (ticket QR payloads)
    settlement: Any = None  # contexts.orders.settlement.Settlement (worker, webhook, refunds)
    audit: Any = (
        None  # contexts.organisers.audit.AuditLog (contexts.organisers.audit_store), <prefix>_audit
    )
    organisers: Any = None  # contexts.organisers.access.OrganiserAccess: who may act on events
    extras: dict[str, Any] = field(default_factory=dict)  # adapters added by later contexts

    def db(self, context: str) -> AsyncDatabase[dict[str, Any]]:
        """The database of one bounded context (auth, catalog, orders, ...)."""
        return self.mongo[f"{self.settings.mongodb_db_prefix}_{context}"]

    async def close(self) -> None:
        workers = self.extras.pop("workers", None)
        if workers is not None:  # first: they still use the router and MongoDB
            await workers.stop()
        queue = self.extras.pop("queue", None)
        if queue is not None:  # the waiting rooms' streams and actor calls
            await queue.close()
        await close_orders(self)
        cache_bus = self.extras.pop("cache_bus", None)
        if cache_bus is not None:
            await cache_bus.close()
        await self.router.close()
        await self.mongo.close()
        if self.embedded_mongo is not None:
            await asyncio.to_thread(self.embedded_mongo.stop)
        if self.started_ray:
            ray.shutdown()


def broker_reachable(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 5672), timeout=timeout
        ):
            return True
    except OSError:
        return False


async def start(settings: Settings) -> Container:
    """Build the container: MongoDB (embedded unless MONGODB_URL), Ray, the router."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    setup_process_tracing(settings)  # idempotent: create_app did it for the API
    url, embedded = await asyncio.to_thread(
        mongodb_url, settings.mongodb_url, settings.data_dir / "mongo"
    )
    amqp_url = settings.amqp_url
    if amqp_url and not await asyncio.to_thread(broker_reachable, amqp_url):
        log.warning(
            "RabbitMQ unreachable: inventory events are NOT published (non-durable outbox off)",
            extra={"amqp_url": redact_url(amqp_url)},
        )
        amqp_url = None
    started_ray = False
    if not ray.is_initialized():
        # "local" starts a private Ray on free ports (Redis may hold 6379) even when a
        # stray cluster runs on this machine (ray.init() alone would join it); with
        # RAY_ADDRESS set it joins that cluster.
        await asyncio.to_thread(
            ray.init,
            address=settings.ray_address or "local",
            include_dashboard=False,
            log_to_driver=False,
            namespace=settings.ray_namespace,
        )
        started_ray = True
    router = InventoryRouter(
        RouterConfig(
            namespace=settings.ray_namespace,
            flush_after_s=settings.router_flush_ms / 1000,
            patient_linger_s=settings.router_patient_ms / 1000,
            max_batch=settings.router_max_batch,
            node_labels=settings.inventory_node_labels,
            actor=ActorConfig(
                journal_url=settings.effective_journal_url,
                snapshot_every=settings.snapshot_every,
                amqp_url=amqp_url,
                tracing=tracing_config(settings, ACTOR_SERVICE),
            ),
        )
    )
    container = Container(
        settings,
        AsyncMongoClient(url, tz_aware=True),
        router,
        # Shared by every API process (a Ray actor, leased locally): contexts.shared.ratelimit.
        limiter=RateLimiter(settings.ray_namespace),
        embedded_mongo=embedded,
        started_ray=started_ray,
        amqp_url=amqp_url,
    )
    # Invalidations of the caches that decide (sale state, rooms, promos) reach every
    # API process (contexts.shared.cache_bus); before anything that caches.
    bus = await CacheBus.start(amqp_url, settings.amqp_queue_prefix)
    if bus is not None:
        container.extras["cache_bus"] = bus
    container.tokens = TokenService(settings)
    container.users = UsersRepository(container.db("auth"))
    try:
        await start_accounts(container)  # indexes, then the bootstrap admin
        container.publisher = EventsPublisher(amqp_url)  # connects on first publish
        container.audit = await start_audit(container)  # before anything that audits
        container.organisers = await start_organisers(container)  # the catalog asks it
        container.catalog = await start_catalog(container)  # venues, events, indexes
        # After any restart the actors are gone: a published event re-opens on first use.
        catalog = container.catalog
        router.reopener = CatalogReopener(catalog.events_repo, catalog.venues_repo, router)
        await start_orders(container)  # orders, Stripe, ticket signer, events publisher
        if settings.run_workers:  # notifications, payments: consumers in this process
            container.extras["workers"] = await start_workers(container)
    except BaseException:
        await container.close()  # a refused start must not leave Ray or mongoeco running
        raise
    log.info(
        "started",
        extra={
            "mongodb": "embedded" if embedded else "external",
            "ray": settings.ray_address or "local",
            "amqp": bool(amqp_url),
        },
    )
    return container
