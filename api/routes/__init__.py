"""The API's routers, one module per resource; ``ROUTERS`` is what the app mounts."""

from api.routes import health, reservations

ROUTERS = [health.router, reservations.router]
