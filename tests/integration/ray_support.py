"""Ray fixtures and helpers for integration tests: a local Ray per test module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

from actors.config import ActorConfig, RouterConfig
from actors.errors import InventoryUnavailableError
from actors.router import InventoryRouter


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """A private Ray instance for the module on free ports (Redis holds 6379).

    ``address="local"``: never join a cluster someone left running on this machine.
    """
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def make_router(journal_url: str, **actor: Any) -> InventoryRouter:
    """A router in a namespace of its own, so tests never share actors."""
    return InventoryRouter(
        RouterConfig(
            namespace=f"test-{uuid.uuid4().hex[:8]}",
            actor=ActorConfig(journal_url=journal_url, **actor),
        )
    )


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/journal.db"


RETRIES: list[str] = []  # every retryable error seen by `retrying`, for assertions


async def retrying[T](call: Callable[[], Awaitable[T]], attempts: int = 300) -> T:
    """Call until it stops raising retryable errors (what a well-behaved client does)."""
    for _ in range(attempts - 1):
        try:
            return await call()
        except InventoryUnavailableError as exc:
            RETRIES.append(exc.detail)
            await asyncio.sleep(min(exc.retry_after, 0.1))
    return await call()
