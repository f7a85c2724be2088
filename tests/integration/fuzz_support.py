"""What the OpenAPI fuzzing of tests/integration and tests/abuse share: the problem
check, the served app with its real accounts and ids (``target``), and ``aim``.

One module for both: schemathesis registers a check once per process, and pytest
imports a test module under its basename, so importing it from elsewhere would run
it (and register the check) a second time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from contexts.waiting_room import feed as queue_feed
from tests.integration.api_support import api_settings, delete_worker_queues

PROBLEM = "application/problem+json"
PROBLEM_MEMBERS = ("type", "title", "status", "detail", "code")
# CI: 25 derandomized examples per operation. To hunt for more, locally:
# FUZZ_EXAMPLES=500 FUZZ_EXPLORE=1 pytest tests/integration/test_openapi_fuzz.py
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
EXPLORE = os.environ.get("FUZZ_EXPLORE") == "1"  # random (not derandomized) examples
ADMIN = ("fuzz-admin@example.com", "fuzz admin passphrase")
PASSWORD = "correct horse 42"


@schemathesis.check
def problem_details(ctx: schemathesis.CheckContext, response: Any, case: Any) -> bool | None:
    """Every error is an RFC 9457 problem with our stable members."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM), (
        f"{response.status_code} is {content_type!r}, not {PROBLEM}: {response.text[:200]}"
    )
    body = response.json()
    assert isinstance(body, dict), f"problem is not an object: {body!r}"
    missing = [m for m in PROBLEM_MEMBERS if not body.get(m) and body.get(m) != 0]
    assert not missing, f"problem lacks {missing}: {body}"
    assert body["status"] == response.status_code, f"status member {body['status']} differs"
    assert isinstance(body["code"], str) and body["code"].isidentifier(), body["code"]
    return None


# -- the server and its accounts ------------------------------------------------------------


@dataclass
class Target:
    """The running server, one set of headers per identity, and real ids to aim at."""

    base_url: str
    headers: dict[str, dict[str, str]]
    ids: dict[str, list[str]]  # path/body parameter name -> real ids to swap in


class ServerThread:
    """uvicorn serving ``app`` on a pre-bound socket, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the API server stopped during startup (see its logs)")
            if time.monotonic() > deadline:
                raise TimeoutError("the API server did not start in 120 s")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        self.sock.close()


def _ok(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def _account(http: requests.Session, url: str, email: str, password: str) -> dict[str, Any]:
    tokens = _ok(http.post(f"{url}/v1/auth/login", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture(scope="module")
def target(
    tmp_path_factory: pytest.TempPathFactory, embedded_mongo: EmbeddedMongo, ray_local: None
) -> Iterator[Target]:
    settings = api_settings(
        tmp_path_factory.mktemp("fuzz"),
        embedded_mongo,
        bootstrap_admin_email=ADMIN[0],
        bootstrap_admin_password=ADMIN[1],
        amqp_queue_prefix=f"fuzz-{uuid.uuid4().hex[:8]}",  # never other runs' queues
        run_workers=False,  # no payment is ever confirmed here: no worker needed
    )
    with ServerThread(create_app(settings)) as url, requests.Session() as http:
        admin = _account(http, url, *ADMIN)
        accounts: dict[str, dict[str, str]] = {"admin": admin}
        for identity in ("user", "event_creator"):
            email = f"fuzz-{identity}-{uuid.uuid4().hex[:6]}@example.com"
            body = {"email": email, "password": PASSWORD, "name": identity}
            user = _ok(http.post(f"{url}/v1/auth/register", json=body), 201)
            if identity != "user":
                roles = {"roles": ["user", identity]}
                _ok(
                    http.patch(
                        f"{url}/v1/admin/users/{user['id']}/roles", json=roles, headers=admin
                    )
                )
            accounts[identity] = _account(http, url, email, PASSWORD)
        creator = accounts["event_creator"]
        venue = _ok(
            http.post(
                f"{url}/v1/venues",
                headers=creator,
                json={
                    "name": "Fuzz Hall",
                    "city": "Paris",
                    "country": "FR",
                    "sections": [{"name": "A", "rows": [{"label": "1", "seats": 8}]}],
                    "areas": [{"name": "FLOOR", "capacity": 20}],
                },
            ),
            201,
        )
        event = {
            "title": "Fuzz night",
            "category": "concert",
            "venue_id": venue["id"],
            "starts_at": "2030-06-01T20:00:00Z",
            "sale_starts_at": "2020-01-01T00:00:00Z",
            "currency": "EUR",
            "prices": [
                {"name": "Seated", "amount": 5000, "sections": ["A"], "areas": []},
                {"name": "Floor", "amount": 3000, "sections": [], "areas": ["FLOOR"]},
            ],
            "max_tickets_per_customer": 50,
        }
        published = _ok(http.post(f"{url}/v1/events", json=event, headers=creator), 201)["id"]
        _ok(http.post(f"{url}/v1/events/{published}/publish", headers=creator))
        draft = _ok(http.post(f"{url}/v1/events", json=event, headers=creator), 201)["id"]
        plain = _ok(http.get(f"{url}/v1/users/me", headers=accounts["user"]))["id"]
        org = _ok(http.post(f"{url}/v1/organisers", json={"name": "Fuzz"}, headers=creator), 201)
        holds = [
            _ok(
                http.post(
                    f"{url}/v1/tickets/reserve",
                    json={"event_id": published, "area": "FLOOR", "quantity": 1},
                    headers=accounts[identity],
                ),
                201,
            )["reservation_id"]
            for identity in ("user", "event_creator")
        ]
        pay = {"reservation_id": holds[0], "payment_method": "pm_card_visa"}
        payment = _ok(
            http.post(f"{url}/v1/payments/process", json=pay, headers=accounts["user"]), 202
        )["payment_id"]
        yield Target(
            base_url=url,
            headers=accounts,
            ids={
                "event_id": [published, draft],
                "venue_id": [venue["id"]],
                "reservation_id": holds,
                "user_id": [plain],
                "payment_id": [payment],
                "order_id": [payment],  # an order's id is its payment's
                "organiser_id": [org["id"]],  # the event_creator owns it
            },
        )
    asyncio.run(delete_worker_queues(settings))


@pytest.fixture(scope="module", autouse=True)
def short_queue_streams() -> Iterator[None]:
    """A queued buyer's place stream runs until admitted, minutes away under a fuzzed
    waiting room (a tiny rate, a far opening): a second here, then it ends as designed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queue_feed, "MAX_STREAM_S", 1.0)
        yield


# -- the fuzzing ------------------------------------------------------------------------------

UNSWAPPED = ("/publish", "/cancel")  # they would end the shared events' lives: random ids only


def aim(case: Any, ids: dict[str, list[str]]) -> None:
    """For about half of the cases, point generated ids at real resources (path or JSON
    body). The choice hangs on the case's own content (a stable CRC, not ``hash``), so
    a replay or a shrink of a failing example makes the same choice."""
    if case.operation.path.endswith(UNSWAPPED):
        return
    turn = zlib.crc32(repr((case.path_parameters, case.body)).encode())
    if turn % 2:
        return
    for name, real in ids.items():
        choice = real[(turn // 2) % len(real)]
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = choice
        if isinstance(case.body, dict) and isinstance(case.body.get(name), str):
            case.body[name] = choice
