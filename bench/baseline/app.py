"""The baseline's FastAPI app: the reserve / confirm / availability subset of our contract.

The pool (psycopg 3 async, `BASELINE_PG_POOL` connections) opens in the lifespan; every
route is one transaction through `transact`. Writes need a bearer token (`wire.customer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool
from starlette.exceptions import HTTPException

from bench.baseline.reserve import Hold, Refused, reserve
from bench.baseline.sales import availability, confirm, transact
from bench.baseline.wire import BaselineSettings, ConfirmIn, Customer, ReserveIn, problem


def _public(hold: Hold) -> dict[str, Any]:
    return {
        "reservation_id": hold.reservation_id,
        "status": hold.status,
        "seats": hold.seats,
        "expires_at": hold.expires_at.isoformat().replace("+00:00", "Z"),
        "total": {"amount": hold.amount, "currency": hold.currency},
    }


def create_app(settings: BaselineSettings | None = None) -> FastAPI:
    """The baseline app; its connection pool opens in the lifespan."""
    settings = settings or BaselineSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        size = settings.pool_size
        pool = AsyncConnectionPool(settings.dsn, min_size=size, max_size=size, open=False)
        await pool.open(wait=True)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="Baseline (PostgreSQL locks) - bench yardstick", lifespan=lifespan)
    app.state.settings = settings

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return problem(request, exc.status, exc.code, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return problem(request, 422, "validation_error", "The request is invalid.", errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return problem(request, exc.status_code, "http_error", str(exc.detail))

    @app.post("/v1/tickets/reserve", status_code=201)
    async def reserve_route(body: ReserveIn, who: Customer, request: Request) -> dict[str, Any]:
        if body.seats is not None:
            kw: dict[str, Any] = {"seats": body.seats}
        else:
            assert body.quantity is not None
            kind, name = ("seat", body.section) if body.section else ("ga", body.area)
            kw = {"zone": (kind, name, body.quantity)}
        hold = await transact(request.app.state.pool, reserve, body.event_id, who, **kw)
        return _public(hold)

    @app.post("/v1/reservations/{reservation_id}/confirm")
    async def confirm_route(
        reservation_id: str, body: ConfirmIn, who: Customer, request: Request
    ) -> dict[str, Any]:
        pool = request.app.state.pool
        return _public(await transact(pool, confirm, reservation_id, who, body.payment_ref))

    @app.get("/v1/events/{event_id}/availability")
    async def availability_route(event_id: str, request: Request) -> dict[str, Any]:
        return await transact(request.app.state.pool, availability, event_id)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
