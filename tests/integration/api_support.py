"""Fixtures to drive the real app over ASGI: real MongoDB (mongoeco), real Ray.

``api`` gives an ``httpx.AsyncClient`` bound to a fresh app whose lifespan ran
(its own MongoDB database prefix and journal file), plus helpers to create users
with roles and log them in.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from contexts.shared.settings import Settings


@dataclass
class Api:
    """A client of one app instance, and what it was built with."""

    client: httpx.AsyncClient
    app: Any
    settings: Settings

    @property
    def container(self) -> Any:
        return self.app.state.container

    async def register(
        self, email: str | None = None, password: str = "correct horse 42", name: str = "Test User"
    ) -> dict[str, Any]:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        response = await self.client.post(
            "/v1/auth/register", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        return {**response.json(), "email": email, "password": password}

    async def login(self, email: str, password: str) -> dict[str, str]:
        response = await self.client.post(
            "/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def user(self, *roles: str) -> dict[str, Any]:
        """A registered, logged-in user with ``roles`` (granted directly in the store)."""
        user = await self.register()
        if roles:
            await self.container.users.set_roles(user["id"], sorted({"user", *roles}))
        tokens = await self.login(user["email"], user["password"])
        return {**user, **tokens, "headers": {"Authorization": f"Bearer {tokens['access_token']}"}}


def api_settings(tmp_path: Path, mongo: EmbeddedMongo, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mongodb_url": mongo.url,
        "mongodb_db_prefix": f"t{uuid.uuid4().hex[:8]}",
        "data_dir": tmp_path,
        "ray_namespace": f"t{uuid.uuid4().hex[:8]}",
        "reserve_rate_per_user": 0,  # limits off unless a test turns them on
        "reserve_rate_per_ip": 0,
        "auth_rate_per_ip": 0,
        # No in-process workers unless a test asks, and queues of its own if it does:
        # a worker must never consume another test's (or another run's) messages.
        "run_workers": False,
        "amqp_queue_prefix": f"t{uuid.uuid4().hex[:8]}",
        # Event streams end after this long: an in-process client (httpx's ASGI
        # transport) and the OpenAPI fuzzer read a response whole before returning.
        "stream_max_s": 0.5,
        **overrides,
    }
    return Settings(**values)


async def delete_worker_queues(settings: Settings) -> None:
    """Drop the durable queues an app with this ``AMQP_QUEUE_PREFIX`` declared (the API
    declares its payments queue at start; workers theirs, with retry and dead-letter
    queues). Left behind, hundreds of quorum queues made the broker unresponsive."""
    if not settings.amqp_url or not settings.amqp_queue_prefix:
        return  # never the shared, unprefixed queues of a real deployment
    with contextlib.suppress(Exception):  # best effort: never mask the test's outcome
        async with asyncio.timeout(30):
            connection = await aio_pika.connect(settings.amqp_url, timeout=5)
            async with connection:
                channel = await connection.channel()
                for worker in ("payments", "notifications", "webhooks", "waitlist"):
                    name = f"{settings.amqp_queue_prefix}.{worker}"
                    retries = (f"{name}.retry.{k}" for k in range(8))
                    for queue in (name, f"{name}.dead", *retries):
                        await channel.queue_delete(queue)


@pytest.fixture
async def api(
    tmp_path: Path, embedded_mongo: EmbeddedMongo, request: pytest.FixtureRequest
) -> AsyncIterator[Api]:
    overrides = getattr(request, "param", {}) or {}
    settings = api_settings(tmp_path, embedded_mongo, **overrides)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Api(client, app, settings)
    finally:
        await delete_worker_queues(settings)
