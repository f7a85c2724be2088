"""The composition root: builds every adapter of a process, once, at startup.

Nothing connects at import time. ``start`` brings up (or reaches) MongoDB, Ray and
the inventory router, then each context from the ports it takes as arguments, into one
typed ``Container``; ``close`` tears them down. Every face starts it the same way: the
API's lifespan (api/main.py), each worker process (workers/host.py) and the CLI
(cluster/). It imports no face: what a process adds (the in-process workers, the
payments queue) comes in as ``services``, factories the process hands to ``start``.
Tests build a container from their own ``Settings`` (their own MongoDB database
prefix, the Ray they started).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlparse

import ray
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from actors.config import ActorConfig, RouterConfig
from actors.mongo_embedded import EmbeddedMongo, mongodb_url
from actors.router import InventoryRouter
from contexts.auth.accounts import AccountService, start_accounts
from contexts.auth.passwords import PasswordHasher
from contexts.auth.refresh_tokens_store import RefreshTokensStore
from contexts.auth.sessions import AuthService
from contexts.auth.tokens import TokenService
from contexts.auth.users_store import UsersStore
from contexts.catalog.context import Catalog, start_catalog
from contexts.catalog.live_feed import LiveFeeds
from contexts.catalog.placement import PlacementView
from contexts.catalog.promos import PromoService, start_promos
from contexts.catalog.reopen import CatalogReopener
from contexts.orders.context import start_orders
from contexts.orders.history import OrderHistory
from contexts.orders.payments import PaymentService
from contexts.orders.refunds import OrderService
from contexts.orders.settlement import Settlement
from contexts.orders.store import OrdersStore
from contexts.orders.stripe_gateway import StripeGateway
from contexts.organisers.access import OrganiserAccess, start_audit, start_organisers
from contexts.organisers.audit import AuditService
from contexts.organisers.audit_store import AuditStore
from contexts.organisers.team import OrganiserService
from contexts.reservations.service import ReservationService
from contexts.shared.cache_bus import CacheBus
from contexts.shared.logging import redact_url
from contexts.shared.publisher import MessagePublisher
from contexts.shared.ratelimit import RateLimiter
from contexts.shared.settings import Settings
from contexts.shared.telemetry import ACTOR_SERVICE, setup_process_tracing, tracing_config
from contexts.tickets.reports import ReportService
from contexts.tickets.reports_store import ReportsStore
from contexts.tickets.service import TicketService
from contexts.tickets.signer import TicketSigner
from contexts.tickets.transfers import TransferService
from contexts.tickets.transfers_store import TicketTransfers
from contexts.waiting_room.admission import AdmissionGate, WaitingRoomPlaces
from contexts.waiting_room.context import WaitingRoomContext, start_waiting_room
from contexts.waiting_room.rooms import WaitingRoomService
from contexts.waiting_room.waiting_list import WaitingListService
from contexts.waiting_room.waiting_list_store import WaitingListStore, active_lists_cache
from contexts.webhooks.store import WebhooksStore, subscriptions_cache
from contexts.webhooks.subscriptions import WebhookService

log = logging.getLogger(__name__)


class Service(Protocol):
    """Something a process runs beside its container (the workers): stopped first."""

    async def stop(self) -> None: ...


type ServiceFactory = Callable[[Container], Awaitable[Service]]


@dataclass(kw_only=True)
class Container:
    """Every long-lived adapter of one process, one typed field each."""

    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]
    router: InventoryRouter
    limiter: RateLimiter
    amqp_url: str | None  # None: RabbitMQ unreachable at start (nothing is published)
    cache_bus: CacheBus | None  # the caches' invalidation fanout (None without RabbitMQ)
    publisher: MessagePublisher  # the events exchange; connects on first publish
    # auth
    tokens: TokenService
    users: UsersStore
    passwords: PasswordHasher
    refresh_tokens: RefreshTokensStore
    history: OrderHistory  # a buyer's orders, read by the account pages
    # organisers (who may act on events) and the audit log
    audit: AuditStore
    organisers: OrganiserAccess
    # catalog
    catalog: Catalog
    promos: PromoService
    live_feeds: LiveFeeds  # its readers run only while someone listens
    # orders and tickets
    orders: OrdersStore
    signer: TicketSigner
    stripe: StripeGateway
    settlement: Settlement
    # waiting rooms and waiting lists
    waiting_room: WaitingRoomContext
    waiting_list: WaitingListStore
    # webhooks
    webhooks: WebhooksStore
    embedded_mongo: EmbeddedMongo | None = None
    started_ray: bool = False
    services: list[Service] = field(default_factory=list)  # what ``start`` was handed
    closing: AsyncExitStack = field(default_factory=AsyncExitStack)  # reverse order of start

    def db(self, context: str) -> AsyncDatabase[dict[str, Any]]:
        """The database of one bounded context (auth, catalog, orders, ...)."""
        return database(self.mongo, self.settings, context)

    async def close(self) -> None:
        services, self.services = self.services, []
        for service in reversed(services):  # first: they still use the router and MongoDB
            await service.stop()
        await self.closing.aclose()

    # -- the use cases the faces call, built from the adapters above (cheap: no I/O) --

    def auth(self) -> AuthService:
        return AuthService(
            self.users, self.refresh_tokens, self.passwords, self.tokens, self.settings
        )

    def accounts(self) -> AccountService:
        return AccountService(
            self.users, self.refresh_tokens, self.passwords, self.history, self.audit
        )

    def reservations(self) -> ReservationService:
        return ReservationService(
            self.router,
            self.catalog,
            self.limiter,
            self.settings,
            AdmissionGate(self.waiting_room),
        )

    def waiting_rooms(self) -> WaitingRoomService:
        return WaitingRoomService(self.waiting_room, self.catalog, self.users)

    def queue_places(self) -> WaitingRoomPlaces:
        return WaitingRoomPlaces(self.waiting_room, self.catalog)

    def waiting_lists(self) -> WaitingListService:
        return WaitingListService(self.waiting_list, self.catalog, self.router)

    def payments(self) -> PaymentService:
        return PaymentService(
            self.orders, self.router, self.catalog, self.publisher, self.stripe, self.settlement
        )

    def tickets(self) -> TicketService:
        return TicketService(self.orders, self.catalog, self.signer, self.organisers)

    def order_service(self) -> OrderService:
        return OrderService(
            self.orders, self.catalog, self.settlement, access=self.organisers, audit=self.audit
        )

    def organiser_service(self) -> OrganiserService:
        return OrganiserService(self.organisers, self.users, self.audit)

    def audit_trail(self) -> AuditService:
        return AuditService(self.audit)

    def placement(self) -> PlacementView:
        return PlacementView(self.catalog.search, self.router)

    def transfers(self) -> TransferService:
        return TransferService(
            TicketService(self.orders, self.catalog, self.signer),
            TicketTransfers(self.orders.collection),
            self.catalog.events_repo,
            self.users,
            self.signer,
            self.publisher,
        )

    def reports(self) -> ReportService:
        # organisers: who may view_reports on an event
        return ReportService(
            ReportsStore(self.orders.collection), self.catalog.events_repo, self.organisers
        )

    def webhook_service(self) -> WebhookService:
        production = self.settings.env == "production"
        return WebhookService(self.webhooks, self.catalog, production, self.organisers)


def database(
    mongo: AsyncMongoClient[dict[str, Any]], settings: Settings, context: str
) -> AsyncDatabase[dict[str, Any]]:
    """``<MONGODB_DB_PREFIX>_<context>``: each bounded context has its own database."""
    return mongo[f"{settings.mongodb_db_prefix}_{context}"]


def broker_reachable(url: str, timeout: float = 1.0) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or 5672), timeout=timeout
        ):
            return True
    except OSError:
        return False


async def start(settings: Settings, services: Sequence[ServiceFactory] = ()) -> Container:
    """Build the container: MongoDB (embedded unless MONGODB_URL), Ray, the router, then
    every context; then each of ``services`` (in order) with the container built."""
    async with AsyncExitStack() as closing:  # a refused start leaves nothing running
        container = await _build(settings, closing)
        container.closing = closing.pop_all()
    try:
        for factory in services:
            container.services.append(await factory(container))
    except BaseException:
        await container.close()
        raise
    log.info(
        "started",
        extra={
            "mongodb": "embedded" if container.embedded_mongo else "external",
            "ray": settings.ray_address or "local",
            "amqp": bool(container.amqp_url),
        },
    )
    return container


async def _build(settings: Settings, closing: AsyncExitStack) -> Container:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    setup_process_tracing(settings)  # idempotent: create_app did it for the API
    url, embedded = await asyncio.to_thread(
        mongodb_url, settings.mongodb_url, settings.data_dir / "mongo"
    )
    if embedded is not None:
        closing.push_async_callback(asyncio.to_thread, embedded.stop)
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
        closing.callback(ray.shutdown)
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
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    closing.push_async_callback(mongo.close)
    closing.push_async_callback(router.close)  # closed before MongoDB, as started after

    def db(context: str) -> AsyncDatabase[dict[str, Any]]:
        return database(mongo, settings, context)

    # Invalidations of the caches that decide (sale state, rooms, promos) reach every
    # process (contexts.shared.cache_bus); before anything that caches.
    cache_bus = await CacheBus.start(amqp_url, settings.amqp_queue_prefix)
    if cache_bus is not None:
        closing.push_async_callback(cache_bus.close)
    users = UsersStore(db("auth"))
    passwords = PasswordHasher()
    refresh_tokens = RefreshTokensStore(db("auth"))
    history = OrderHistory(db("orders"))
    await start_accounts(users, passwords, refresh_tokens, history, settings)  # + the admin
    publisher = MessagePublisher(amqp_url)  # connects on first publish
    closing.push_async_callback(quietly, publisher.close)
    audit = await start_audit(db("audit"))  # before anything that audits
    organisers = await start_organisers(db("organisers"))  # the catalog asks it
    catalog = await start_catalog(db("catalog"), settings, router, publisher, organisers, audit)
    # After any restart the actors are gone: a published event re-opens on first use.
    router.reopener = CatalogReopener(catalog.events_repo, catalog.venues_repo, router)
    promos = await start_promos(db("catalog"), settings.event_cache_s, catalog.events, router)
    parts = await start_orders(db("orders"), settings, router, publisher, audit)
    closing.push_async_callback(quietly, parts.stripe.close)
    waiting_room = start_waiting_room(router.calls.config, db("queue"), settings)
    closing.push_async_callback(waiting_room.close)  # the rooms' streams and actor calls
    waiting_list = WaitingListStore(db("waitlist"), active_lists_cache())
    await waiting_list.ensure_indexes()
    webhooks = WebhooksStore(db("webhooks"), subscriptions_cache())
    await webhooks.ensure_indexes()
    return Container(
        settings=settings,
        mongo=mongo,
        router=router,
        # Shared by every API process (a Ray actor, leased locally): contexts.shared.ratelimit.
        limiter=RateLimiter(settings.ray_namespace),
        amqp_url=amqp_url,
        cache_bus=cache_bus,
        publisher=publisher,
        tokens=TokenService(settings),
        users=users,
        passwords=passwords,
        refresh_tokens=refresh_tokens,
        history=history,
        audit=audit,
        organisers=organisers,
        catalog=catalog,
        promos=promos,
        live_feeds=LiveFeeds(router, settings.stream_interval_s, settings.stream_max_s),
        orders=parts.orders,
        signer=parts.signer,
        stripe=parts.stripe,
        settlement=parts.settlement,
        waiting_room=waiting_room,
        waiting_list=waiting_list,
        webhooks=webhooks,
        embedded_mongo=embedded,
        started_ray=started_ray,
    )


async def quietly(close: Callable[[], Awaitable[None]]) -> None:
    """Close an adapter whose error must not stop the rest from closing."""
    with suppress(Exception):
        await close()
