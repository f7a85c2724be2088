"""The API's routers, one module per resource; ``ROUTERS`` is what the app mounts."""

from api.routes import (
    admin,
    auth,
    events,
    health,
    orders,
    organisers,
    payments,
    promos,
    reports,
    reservations,
    tickets,
    transfers,
    users,
    venues,
    waiting_list,
    waiting_room,
    web,
    webhooks,
)

ROUTERS = [health.router, reservations.router, auth.router, users.router, admin.router]
ROUTERS += [venues.router, events.router]
ROUTERS += [payments.router, tickets.router, orders.router]
ROUTERS += [transfers.router, reports.router]
ROUTERS += [waiting_room.router, waiting_list.router]
ROUTERS += [organisers.router]
ROUTERS += [webhooks.router]
ROUTERS += [promos.router]
ROUTERS += [web.router]
