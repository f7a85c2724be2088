"""Helpers of the abuse suite (tests/abuse): an app per module, one reliability-report row
per scenario, a spy on every MongoDB command the app sends, and the problem check.

Every scenario records a row through ``tests.reliability.record_scenario`` (area
``abuse``): what it sent (``fault``), how much (``load``, ``inputs``), what it checked and
what it observed; pass or fail comes from the test's outcome (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, monitoring

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from tests.integration.api_support import Api, api_settings, delete_worker_queues
from tests.reliability import ScenarioRow, record_scenario

PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = ("type", "title", "status", "detail", "code")
AREA = "abuse"


# -- the report ------------------------------------------------------------------------------


@contextlib.contextmanager
def recorded(scenario: str, *, load: str, fault: str, checked: str) -> Iterator[ScenarioRow]:
    """Record a scenario's row at its start (a scenario that fails early still shows; its
    pass or fail comes from the test's outcome) and yield it: the test sets ``result``
    (what it observed) and ``inputs``. A failure's first line becomes the observation."""
    row = record_scenario(AREA, scenario, load, fault, checked, "did not finish")
    try:
        yield row
    except Exception as exc:
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        row.result = f"stopped: {type(exc).__name__}: {first}"
        raise


# -- the app -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_api(tmp_path: Path, mongo: EmbeddedMongo, **overrides: Any) -> AsyncIterator[Api]:
    """The app over ASGI, as ``tests.integration.api_support.api`` builds it, for a module
    scoped fixture (that fixture is per test: each abuse module pays one app start)."""
    settings = api_settings(tmp_path, mongo, **overrides)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app), client_from(app, "127.0.0.1") as client:
            yield Api(client, app, settings)
    finally:
        await delete_worker_queues(settings)


def client_from(app: Any, ip: str) -> httpx.AsyncClient:
    """A client of ``app`` whose requests come from ``ip`` (per-IP limits see it)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60)


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with one of ``statuses`` (any 4xx if none)."""
    if statuses:
        assert response.status_code in statuses, (response.status_code, response.text[:300])
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    missing = [m for m in PROBLEM_MEMBERS if m not in body]
    assert not missing and body["status"] == response.status_code, body
    return body


# -- MongoDB commands --------------------------------------------------------------------------


class CommandSpy(monitoring.CommandListener):
    """Keeps every command the app's MongoDB client sends while ``recording``."""

    def __init__(self) -> None:
        self.recording = False
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording:
            self.commands.append({"name": event.command_name, "command": dict(event.command)})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Outcomes do not matter here: what was sent does."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """As ``succeeded``."""


@contextlib.contextmanager
def spied_mongo_client(spy: CommandSpy) -> Iterator[None]:
    """Every app started inside builds its MongoDB client with ``spy`` as a listener
    (the container builds the client in its start; this is how a test reaches it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "bootstrap.AsyncMongoClient",
            functools.partial(AsyncMongoClient, event_listeners=[spy]),
        )
        yield


def operator_leaks(value: Any, injected: list[tuple[str, Any]], path: str = "") -> list[str]:
    """Where in a command (any depth) an injected ``(operator, operand)`` pair appears as a
    live operator, or any ``$where`` (the app never sends one: only a user could)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if key == "$where" or any(key == op and item == arg for op, arg in injected):
                found.append(f"{here}={item!r}")
            found.extend(operator_leaks(item, injected, here))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(operator_leaks(item, injected, f"{path}[{index}]"))
    return found
