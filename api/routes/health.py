"""Liveness, readiness and Prometheus metrics.

``/metrics`` is open in development. In production it answers only a scraper that
sends ``Authorization: Bearer <METRICS_TOKEN>``, and is off (404, as if absent) when
no token is set: metric labels name routes, events and load, nobody else's business.
"""

from __future__ import annotations

import asyncio
import hmac

import ray
from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ContainerDep
from api.problems import problem
from bootstrap import broker_reachable
from contexts.shared.errors import NotFound, Unauthorized
from contexts.shared.metrics import render

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="health")
async def health(request: Request) -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok", "version": request.app.version}


@router.get("/ready", operation_id="ready", responses={503: {"description": "Not ready"}})
async def ready(request: Request, container: ContainerDep) -> object:
    """Readiness: MongoDB answers a ping, Ray is connected, RabbitMQ accepts connections."""
    checks: dict[str, bool] = {"ray": ray.is_initialized()}
    try:
        await asyncio.wait_for(container.mongo.admin.command("ping"), 2.0)
        checks["mongodb"] = True
    except Exception:
        checks["mongodb"] = False
    if container.settings.amqp_url:
        checks["rabbitmq"] = await asyncio.to_thread(broker_reachable, container.settings.amqp_url)
    if all(checks.values()):
        return {"status": "ready", "checks": checks}
    failed = ", ".join(name for name, ok in checks.items() if not ok)
    return problem(request, 503, "not_ready", f"Unavailable: {failed}.", checks=checks)


def metrics_guard(request: Request) -> None:
    """Production: the scraper's bearer token, compared in constant time; no token
    configured, no endpoint. Runs before the route's other dependencies."""
    settings = request.app.state.settings
    if settings.env != "production":
        return
    if not settings.metrics_token:
        raise NotFound("Not Found.")
    given = request.headers.get("authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
        raise Unauthorized("Metrics need the scraper's bearer token (METRICS_TOKEN).")


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    dependencies=[Depends(metrics_guard)],
)
async def metrics(container: ContainerDep) -> Response:
    """Prometheus metrics of this process and of the inventory actors it reaches."""
    return Response(await render(container.router), media_type=CONTENT_TYPE_LATEST)
