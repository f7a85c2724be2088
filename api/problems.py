"""RFC 9457 problem details: every error leaves the API as `application/problem+json`."""

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from actors.errors import InventoryNotFoundError, InventoryUnavailableError
from contexts.shared.errors import Kind, Refusal
from engine import (
    AccessCodeRequiredError,
    HoldAlreadySoldError,
    HoldExpiredError,
    HoldNotFoundError,
    IdempotencyKeyReusedError,
    InvalidAreaError,
    InvalidConfigurationError,
    InvalidQuantityError,
    InvalidSeatError,
    InventoryError,
    LimitExceededError,
    PromoExhaustedError,
    SeatUnavailableError,
    SoldOutError,
)
from engine.queue_messages import InvalidQueueConfigError, NotInvitedError, QueueClosedError

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def code_for_status(status: int) -> str:
    """Stable machine code for a bare HTTP status: 404 -> `not_found`."""
    return _phrase(status).lower().replace(" ", "_").replace("-", "_").replace("'", "")


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """Build a problem-details response; `extra` members are added to the body."""
    body = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method of the path's resource (Starlette's 405 names only the first route's:
    GET for ``/v1/users/me``, which also takes PATCH; RFC 9110 wants them all). A static
    path (``/v1/payments/webhook``) is its own resource, not ``/v1/payments/{id}``'s."""
    matched = [
        route
        for route in iter_route_contexts(request.app.routes)
        if route.methods and route.matches(request.scope)[0] != Match.NONE
    ]
    static = [route for route in matched if "{" not in (route.path or "")]
    return ", ".join(sorted({m for route in static or matched for m in route.methods or ()}))


async def _http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allowed}
    # A raiser may name a more specific stable code (the body limit's payload_too_large).
    code = getattr(exc, "code", None) or code_for_status(exc.status_code)
    return problem(request, exc.status_code, code, detail, headers=headers)


def _field(loc: list[Any]) -> str:
    """``["body", "prices", 0, "amount"]`` -> ``prices[0].amount`` (where it is said)."""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or (str(loc[0]) if loc else "body")


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        # A JSON syntax error's loc ends with a character offset, not a field.
        field = "body" if err.get("type") == "json_invalid" else _field(loc)
        errors.append(
            {"loc": loc, "field": field, "msg": err.get("msg", ""), "type": err.get("type", "")}
        )
    # One line per field in the detail too: a reader of the problem sees what to fix.
    said = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem(
        request,
        422,
        "validation_error",
        f"The request is invalid: {said}{more}." if said else "The request is invalid.",
        errors=errors,
    )


async def _unhandled(request: Request, exc: Exception) -> ProblemResponse:
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"path": request.url.path, "method": request.method},
    )
    return problem(request, 500, "internal_error", "An internal error occurred.")


# Domain refusals of the inventory, by class: (status, title). One place for the map.
INVENTORY_STATUS: dict[type[Exception], tuple[int, str]] = {
    SeatUnavailableError: (409, "Seats unavailable"),
    SoldOutError: (409, "Sold out"),
    HoldAlreadySoldError: (409, "Already sold"),
    HoldExpiredError: (409, "Reservation expired"),
    # 409, not 429: the state of the customer's purchases refuses it; 429 is rate limiting.
    LimitExceededError: (409, "Per-customer limit reached"),
    HoldNotFoundError: (404, "Reservation not found"),
    InvalidSeatError: (422, "Invalid seat"),
    InvalidAreaError: (422, "Invalid section or area"),
    InvalidQuantityError: (422, "Invalid quantity"),
    IdempotencyKeyReusedError: (422, "Idempotency key reused"),
    InvalidConfigurationError: (422, "Invalid venue or event"),
    QueueClosedError: (409, "Queue closed"),  # the waiting room's
    NotInvitedError: (403, "Not invited"),
    InvalidQueueConfigError: (422, "Invalid waiting room settings"),
    PromoExhaustedError: (409, "Promo code used up"),  # engine/promos.py
    AccessCodeRequiredError: (403, "Access code required"),
}


# The core's refusals by kind: (status, title). The only place a kind becomes HTTP.
REFUSAL_STATUS: dict[Kind, tuple[int, str]] = {
    "malformed": (400, "Bad Request"),
    "unauthorized": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not Found"),
    "conflict": (409, "Conflict"),
    "invalid": (422, "Unprocessable Content"),
    "rate_limited": (429, "Too Many Requests"),
    "unavailable": (503, "Service Unavailable"),
}


def refusal_headers(exc: Refusal) -> dict[str, str] | None:
    """HTTP-only headers of a refusal: the challenge of a 401, the delay as Retry-After."""
    headers: dict[str, str] = {}
    if exc.kind == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(exc.retry_after_s))
    return headers or None


async def _refusal(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Refusal)
    status, title = REFUSAL_STATUS[exc.kind]
    headers = refusal_headers(exc)
    return problem(request, status, exc.code, exc.detail, title=title, headers=headers, **exc.extra)


async def _inventory_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, InventoryError)
    status, title = next(
        (v for cls, v in INVENTORY_STATUS.items() if isinstance(exc, cls)), (409, "Refused")
    )
    extra: dict[str, Any] = {}
    for name in ("seats", "available", "limit", "area", "reason", "promo", "tiers"):
        if hasattr(exc, name):
            value = getattr(exc, name)
            extra[name] = list(value) if isinstance(value, tuple) else value
    return problem(request, status, exc.code, exc.detail, title=title, **extra)


async def _inventory_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, InventoryUnavailableError)
    retry = max(1, round(exc.retry_after))
    return problem(
        request,
        503,
        exc.code,
        "The inventory is busy or restarting; retry shortly.",
        title="Temporarily unavailable",
        headers={"Retry-After": str(retry)},
    )


async def _store_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # MongoDB unreachable past its server-selection timeout: retryable, not a bug. A
    # write that did land stays safe to retry through its Idempotency-Key.
    log.warning("document store unavailable", extra={"path": request.url.path, "error": repr(exc)})
    return problem(
        request,
        503,
        "store_unavailable",
        "The document store is unreachable; retry shortly.",
        title="Temporarily unavailable",
        headers={"Retry-After": "2"},
    )


async def _inventory_not_found(request: Request, exc: Exception) -> ProblemResponse:
    return problem(request, 409, "not_on_sale", "This event is not on sale.", title="Not on sale")


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem-details handlers on `app`."""
    app.add_exception_handler(Refusal, _refusal)
    app.add_exception_handler(InventoryError, _inventory_error)
    app.add_exception_handler(InventoryUnavailableError, _inventory_unavailable)
    app.add_exception_handler(InventoryNotFoundError, _inventory_not_found)
    app.add_exception_handler(ConnectionFailure, _store_unavailable)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unhandled)
