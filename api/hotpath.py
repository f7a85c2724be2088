"""The lean path of ``POST /v1/tickets/reserve``: the on-sale hot route, served in ASGI.

The route is declared in FastAPI (``api.routes.reservations``), which owns its
OpenAPI contract and serves every request this path does not. Profiled under wrk,
a reserve spent most of the API's CPU in the framework rather than in the
reservation: matching through the included routers, solving its dependency graph
(container, bearer scheme, caller, client ip, a service built per request, promo
service), the exit stack and exception layers, and validating the returned model
again before serialising it (docs/performance.md). Here a well-formed,
authenticated request is parsed once (pydantic, from the JSON bytes), handed to the
same ``ReservationService`` as the route, and answered with the same JSON body.

Anything else is replayed, body included, into FastAPI: a malformed body or header,
a missing or invalid token, another content type. So validation errors, 401s and
every other problem come from the framework exactly as before, and this path only
has to render the problems the service raises, through the app's own handlers.
Request ids, access logs, metrics and the body limit are the outer middlewares'
and apply to both paths; ``scope["route"]`` is set so metrics label it the same.
"""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actors import stagestats
from contexts.reservations.schemas import ReserveCreate
from contexts.reservations.service import ReservationService
from contexts.shared.errors import Refusal

PATH = "/v1/tickets/reserve"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # the route's Idempotency-Key constraints
_ADMISSION_MAX = 4096


class ReserveFastPath:
    """Pure ASGI middleware serving valid, authenticated reserves without the router."""

    def __init__(self, app: ASGIApp, route: BaseRoute | None = None) -> None:
        self.app = app
        self.route = route  # the FastAPI route of PATH (metrics label, tracing)
        self._services: dict[int, tuple[Any, ReservationService]] = {}
        self.served = 0  # requests answered here rather than by FastAPI (tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if stagestats.ENABLED:  # off by default: not even a clock read
            started = time.perf_counter()
            try:
                await self._serve(scope, receive, send)
            finally:
                stagestats.observe("api.reserve", time.perf_counter() - started)
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        body = await _read_body(receive)
        request = self._accepted(scope, headers, body)
        if request is None:  # FastAPI answers it, from the same bytes
            await self.app(scope, _replay(body, receive), send)
            return
        user, reserve, key, admission = request
        if self.route is not None:
            scope["route"] = self.route
        app = scope["app"]
        container = app.state.container
        try:
            service = self._service(container)
            promos = container.promos if reserve.promo_code is not None else None
            ip = scope["client"][0] if scope.get("client") else "unknown"
            if stagestats.ENABLED:
                began = time.perf_counter()
                held = await service.reserve(user, ip, reserve, key, admission, promos)
                stagestats.observe("api.service", time.perf_counter() - began)
            else:
                held = await service.reserve(user, ip, reserve, key, admission, promos)
        except Exception as exc:
            response = await _problem(app, Request(scope), exc)
            await response(scope, receive, send)
            return
        self.served += 1
        payload = held.__pydantic_serializer__.to_json(held)
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    def _accepted(
        self, scope: Scope, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[Any, ReserveCreate, str | None, str | None] | None:
        """(caller, body, idempotency key, admission token), or None for FastAPI."""
        if headers.get(b"content-type", b"").partition(b";")[0].strip() != b"application/json":
            return None  # other JSON types (and their errors) are the framework's
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        key = _text(headers.get(b"idempotency-key"))
        admission = _text(headers.get(b"x-admission-token"))
        if scheme.lower() != "bearer" or not token:
            return None
        if key is not None and not _KEY.match(key):
            return None
        if admission is not None and len(admission) > _ADMISSION_MAX:
            return None
        try:
            reserve = ReserveCreate.model_validate_json(body)
            user = scope["app"].state.container.tokens.principal(token)
        except (ValidationError, Refusal, ValueError):
            return None
        return user, reserve, key, admission

    def _service(self, container: Any) -> ReservationService:
        # One per container (a test may start several apps in one process), as the
        # route's dependency would build per request: stateless, so it can be shared.
        cached = self._services.get(id(container))
        if cached is None or cached[0] is not container:
            service = container.reservations()
            cached = self._services[id(container)] = (container, service)
        return cached[1]


def _headers(scope: Scope) -> dict[bytes, bytes]:
    # The first of each name, as Starlette's Headers.get() gives the route.
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers") or ():
        found.setdefault(name, value)
    return found


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # a disconnect: FastAPI sees it too, through the replay
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _problem(app: Any, request: Request, exc: Exception) -> Any:
    """The app's own handler for ``exc`` (the closest class), as Starlette picks it."""
    handlers = app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return await handler(request, exc)
    raise exc


def install_reserve_fast_path(app: Any) -> None:
    """Serve valid reserves of ``app`` on the lean path. Call before the middlewares that
    must wrap it (body limit, request context) are added: those are added later, so
    they run first."""
    from fastapi.routing import iter_route_contexts

    route = next(
        (
            r.original_route  # what FastAPI puts in scope["route"]
            for r in iter_route_contexts(app.routes)
            if getattr(r, "path", None) == PATH and "POST" in (getattr(r, "methods", None) or ())
        ),
        None,
    )
    app.add_middleware(ReserveFastPath, route=route)
