"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio

import ray
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.container import broker_reachable
from api.deps import ContainerDep
from api.metrics import render
from api.problems import problem

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


@router.get("/metrics", operation_id="metrics", response_class=Response)
async def metrics(container: ContainerDep) -> Response:
    """Prometheus metrics of this process and of the inventory actors it reaches."""
    return Response(await render(container.router), media_type=CONTENT_TYPE_LATEST)
