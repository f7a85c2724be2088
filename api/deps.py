"""FastAPI dependencies as ``Annotated`` aliases: the container, the caller, the router,
the rate limits and the repositories and services of each context. Each getter only
reads the container (bootstrap.py builds everything); routes declare what they need
with these aliases and never touch storage or adapters directly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer

from actors.router import InventoryRouter as Router
from bootstrap import Container
from contexts.auth.accounts import AccountService
from contexts.auth.sessions import AuthService
from contexts.auth.users_store import UsersStore
from contexts.catalog.context import Catalog
from contexts.catalog.events_store import EventsStore as EventsRepository
from contexts.catalog.live_feed import LiveFeeds as LiveFeedsService
from contexts.catalog.placement import PlacementView
from contexts.catalog.promos import PromoService
from contexts.catalog.venues_store import VenuesStore as VenuesRepository
from contexts.orders.payments import PaymentService
from contexts.orders.refunds import OrderService
from contexts.organisers.audit import AuditService
from contexts.organisers.team import OrganiserService
from contexts.reservations.service import ReservationService
from contexts.shared.errors import Forbidden, Unauthorized
from contexts.shared.principal import Principal
from contexts.tickets.reports import ReportService
from contexts.tickets.service import TicketService
from contexts.tickets.transfers import TransferService
from contexts.waiting_room.admission import WaitingRoomPlaces
from contexts.waiting_room.rooms import WaitingRoomService
from contexts.waiting_room.waiting_list import WaitingListService
from contexts.webhooks.subscriptions import WebhookService

# Every dependency is `async def`, even trivial ones: FastAPI runs a plain `def`
# dependency in a worker thread, and those hops cost a fifth of a reserve (measured).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


async def get_container(request: Request) -> Container:
    return request.app.state.container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_router(container: ContainerDep) -> Router:
    return container.router


InventoryRouter = Annotated[Router, Depends(get_router)]


# -- the caller -------------------------------------------------------------------


async def current_principal(
    container: ContainerDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    if not token:
        raise Unauthorized()
    return container.tokens.principal(token)  # raises Unauthorized when invalid


async def optional_principal(
    container: ContainerDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal | None:
    return container.tokens.principal(token) if token else None


CurrentUser = Annotated[Principal, Depends(current_principal)]
OptionalUser = Annotated[Principal | None, Depends(optional_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if not user.has_any(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
        return user

    return check


AdminUser = Annotated[Principal, Depends(require_roles("admin"))]
CreatorUser = Annotated[Principal, Depends(require_roles("event_creator", "admin"))]


async def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]

# -- auth and users ----------------------------------------------------------------


async def get_users_repo(container: ContainerDep) -> UsersStore:
    return container.users


UsersRepo = Annotated[UsersStore, Depends(get_users_repo)]


async def get_auth(container: ContainerDep) -> AuthService:
    return container.auth()


Auth = Annotated[AuthService, Depends(get_auth)]


async def get_accounts(container: ContainerDep) -> AccountService:
    return container.accounts()


Accounts = Annotated[AccountService, Depends(get_accounts)]


# -- catalog (venues and events) -----------------------------------------------------


async def get_catalog(container: ContainerDep) -> Catalog:
    return container.catalog


CatalogService = Annotated[Catalog, Depends(get_catalog)]


async def get_venues_repo(container: ContainerDep) -> VenuesRepository:
    return container.catalog.venues_repo


async def get_events_repo(container: ContainerDep) -> EventsRepository:
    return container.catalog.events_repo


VenuesStore = Annotated[VenuesRepository, Depends(get_venues_repo)]
EventsStore = Annotated[EventsRepository, Depends(get_events_repo)]  # get_for_sale(), cached


# -- reservations ------------------------------------------------------------------


async def get_reservations(container: ContainerDep) -> ReservationService:
    return container.reservations()


Reservations = Annotated[ReservationService, Depends(get_reservations)]


# -- waiting rooms (the queue context: one per process) -------------------------------


async def get_waiting_rooms(container: ContainerDep) -> WaitingRoomService:
    return container.waiting_rooms()


async def get_queue_places(container: ContainerDep) -> WaitingRoomPlaces:
    return container.queue_places()


async def queue_caller(
    event_id: str,
    container: ContainerDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    token: Annotated[
        str | None, Query(max_length=4096, description="Your queue token, from joining")
    ] = None,
) -> str:
    """Who follows a queue: the bearer's user, or the buyer a queue token names (an
    EventSource cannot send an Authorization header)."""
    if bearer:
        return container.tokens.principal(bearer).id
    if token:
        return container.waiting_room.tokens.queue_subject(token, event_id)
    raise Unauthorized()


WaitingRooms = Annotated[WaitingRoomService, Depends(get_waiting_rooms)]
QueuePlacesDep = Annotated[WaitingRoomPlaces, Depends(get_queue_places)]
QueueCaller = Annotated[str, Depends(queue_caller)]


# -- orders: payments, tickets, refunds ----------------------------------------------


async def get_payments(container: ContainerDep) -> PaymentService:
    return container.payments()


async def get_tickets(container: ContainerDep) -> TicketService:
    return container.tickets()


async def get_orders(container: ContainerDep) -> OrderService:
    return container.order_service()


Payments = Annotated[PaymentService, Depends(get_payments)]
Tickets = Annotated[TicketService, Depends(get_tickets)]
Orders = Annotated[OrderService, Depends(get_orders)]


# -- organisers (teams, permissions) and the audit log ------------------------------


async def get_organisers(container: ContainerDep) -> OrganiserService:
    return container.organiser_service()


async def get_audit(container: ContainerDep) -> AuditService:
    return container.audit_trail()


Organisers = Annotated[OrganiserService, Depends(get_organisers)]
AuditTrail = Annotated[AuditService, Depends(get_audit)]


# -- web pages: live event streams, actor placement -----------------------------------


async def get_live_feeds(container: ContainerDep) -> LiveFeedsService:
    return container.live_feeds  # one per process


async def get_placement(container: ContainerDep) -> PlacementView:
    return container.placement()


LiveFeeds = Annotated[LiveFeedsService, Depends(get_live_feeds)]
Placement = Annotated[PlacementView, Depends(get_placement)]


# -- ticket transfers and organiser reports ---------------------------------------------


async def get_transfers(container: ContainerDep) -> TransferService:
    return container.transfers()


async def get_reports(container: ContainerDep) -> ReportService:
    return container.reports()


Transfers = Annotated[TransferService, Depends(get_transfers)]
Reports = Annotated[ReportService, Depends(get_reports)]


# -- promo codes, waiting lists, webhooks ------------------------------------------------


async def get_promos(container: ContainerDep) -> PromoService:
    return container.promos


async def get_waiting_list(container: ContainerDep) -> WaitingListService:
    return container.waiting_lists()


async def get_webhooks(container: ContainerDep) -> WebhookService:
    return container.webhook_service()


Promos = Annotated[PromoService, Depends(get_promos)]
WaitingList = Annotated[WaitingListService, Depends(get_waiting_list)]
Webhooks = Annotated[WebhookService, Depends(get_webhooks)]
