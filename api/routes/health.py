"""Liveness and readiness probes."""

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok", "version": request.app.version}


@router.get("/ready")
async def ready() -> dict[str, str]:
    """Readiness: able to take traffic."""
    # Later steps check the dependencies here (MongoDB, RabbitMQ, Ray) before saying ready.
    return {"status": "ready"}
