"""Ray fixtures and helpers for integration tests: a local Ray per test module."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.util import list_named_actors

from actors.config import ActorConfig, RouterConfig
from actors.errors import InventoryUnavailableError
from actors.router import InventoryRouter


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """A private Ray on free ports (Redis holds 6379), started once for the session.

    ``address="local"``: never join a cluster someone left running on this machine.
    Starting Ray costs 4-20 s on a 2-core machine, once per module it was minutes of
    ``make test``; so it stays up, and the module's named actors (detached, so they
    outlive their tests) are killed at its end instead: no module sees another's
    actors, and they do not pile up. Multi-node cluster fixtures stop it first
    (``stop_local_ray``); the next module starts it again. tests/conftest.py stops it.
    """
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if ray.is_initialized():
        kill_named_actors()


def kill_named_actors() -> None:
    """Kill every named actor of every namespace (the detached ones included)."""
    for entry in list_named_actors(all_namespaces=True):
        try:
            ray.kill(ray.get_actor(entry["name"], namespace=entry["namespace"]))
        except ValueError:  # gone already (a test killed it)
            continue


def stop_local_ray() -> None:
    """Stop the session's private Ray, before a fixture starts a cluster of its own."""
    if ray.is_initialized():
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
