"""Bad input against the real app (mongoeco, Ray), with every MongoDB command it sends
watched: operator injection in JSON bodies, form fields, query strings and paths, and
seat lists over the limits.

A ``pymongo.monitoring.CommandListener`` is given to the app's own client (the container
builds it; the test swaps the class it builds it with). While the attacks run, it keeps
every command; afterwards none may carry an injected ``(operator, operand)`` pair (each
operand carries a marker the app could not have made up) nor any ``$where``. A leak would
mean a request's JSON reached a filter as an operator instead of a value.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio

from actors.mongo_embedded import EmbeddedMongo
from tests.abuse.abuse_support import (
    CommandSpy,
    assert_problem,
    operator_leaks,
    recorded,
    running_api,
    spied_mongo_client,
)
from tests.integration.api_support import Api

pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.asyncio(loop_scope="module")]

MARK = f"inj{uuid.uuid4().hex[:10]}"  # no command of the app's own can contain it
# Operator objects a NoSQL injection sends in place of a value. `$gt: ""` and `$ne: null`
# match "anything" in a filter; `$regex: .*` too; `$where` runs JavaScript on a server.
OPERATORS: list[dict[str, Any]] = [
    {"$ne": MARK},
    {"$ne": None},
    {"$gt": ""},
    {"$where": f"sleep(5000) || '{MARK}'"},
    {"$regex": ".*"},
    {"$in": [MARK]},
    {"$nin": [MARK]},
]
INJECTED: list[tuple[str, Any]] = [next(iter(op.items())) for op in OPERATORS]


@dataclass
class World:
    """The module's app, its callers, a small catalog, and the command spy."""

    api: Api
    spy: CommandSpy
    headers: dict[str, dict[str, str]]  # anonymous, user, creator, admin
    user: dict[str, Any]
    event_id: str
    draft_id: str
    venue_id: str
    reservation_id: str


def venue_body() -> dict[str, Any]:
    return {
        "name": "Injection Hall",
        "city": "Lyon",
        "country": "FR",
        "sections": [{"name": "A", "rows": [{"label": "1", "seats": 10}]}],
        "areas": [{"name": "FLOOR", "capacity": 500}],
    }


def event_body(venue_id: str) -> dict[str, Any]:
    return {
        "title": "Injection night",
        "description": "Bring your operators",
        "category": "concert",
        "venue_id": venue_id,
        "starts_at": "2030-06-01T20:00:00Z",
        "sale_starts_at": "2020-01-01T00:00:00Z",
        "currency": "EUR",
        "prices": [
            {"name": "Seated", "amount": 5000, "sections": ["A"], "areas": []},
            {"name": "Floor", "amount": 3000, "sections": [], "areas": ["FLOOR"]},
        ],
        "max_tickets_per_customer": 50,
        "hold_ttl_seconds": 600,
    }


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, embedded_mongo: EmbeddedMongo, ray_local: None
) -> AsyncIterator[World]:
    spy = CommandSpy()
    with spied_mongo_client(spy):
        path = tmp_path_factory.mktemp("abuse-inputs")
        async with running_api(path, embedded_mongo) as api:
            user = await api.user()
            creator = await api.user("event_creator")
            admin = await api.user("admin")
            client = api.client
            venue = await client.post("/v1/venues", json=venue_body(), headers=creator["headers"])
            assert venue.status_code == 201, venue.text
            venue_id = venue.json()["id"]
            ids = []
            for _ in range(2):
                created = await client.post(
                    "/v1/events", json=event_body(venue_id), headers=creator["headers"]
                )
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])
            published = await client.post(
                f"/v1/events/{ids[0]}/publish", headers=creator["headers"]
            )
            assert published.status_code == 200, published.text
            hold = await client.post(
                "/v1/tickets/reserve",
                json={"event_id": ids[0], "area": "FLOOR", "quantity": 1},
                headers=user["headers"],
            )
            assert hold.status_code == 201, hold.text
            yield World(
                api=api,
                spy=spy,
                headers={
                    "anonymous": {},
                    "user": user["headers"],
                    "creator": creator["headers"],
                    "admin": admin["headers"],
                },
                user=user,
                event_id=ids[0],
                draft_id=ids[1],
                venue_id=venue_id,
                reservation_id=hold.json()["reservation_id"],
            )


type Target = tuple[str, str, str, dict[str, Any]]  # method, path, caller, a valid body


def json_targets(world: World) -> list[Target]:
    """Every operation that takes a JSON body, with a valid body written by hand (so only
    the injected value is wrong), then any the OpenAPI declares beyond these."""
    listed = written_json_targets(world)
    covered = {(method, template) for method, template in WRITTEN_TEMPLATES}
    return listed + declared_json_targets(world, covered)


# The templates of the hand-written targets below (their paths carry real ids).
WRITTEN_TEMPLATES = [
    ("POST", "/v1/auth/register"), ("POST", "/v1/auth/login"), ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/logout"), ("PATCH", "/v1/users/me"),
    ("PATCH", "/v1/admin/users/{user_id}/roles"), ("POST", "/v1/venues"), ("POST", "/v1/events"),
    ("PATCH", "/v1/events/{event_id}"), ("POST", "/v1/tickets/reserve"),
    ("POST", "/v1/payments/process"), ("POST", "/v1/tickets/{ticket_id}/check-in"),
    ("PUT", "/v1/events/{event_id}/waiting-room"),
]  # fmt: skip


def written_json_targets(world: World) -> list[Target]:
    return [
        ("POST", "/v1/auth/register", "anonymous",
         {"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse 42",
          "name": "Mallory"}),
        ("POST", "/v1/auth/login", "anonymous",
         {"email": world.user["email"], "password": world.user["password"]}),
        ("POST", "/v1/auth/refresh", "anonymous", {"refresh_token": "A" * 43}),
        ("POST", "/v1/auth/logout", "anonymous", {"refresh_token": "A" * 43}),
        ("PATCH", "/v1/users/me", "user",
         {"name": "Mallory", "password": "another passphrase", "current_password": "x" * 12}),
        ("PATCH", f"/v1/admin/users/{world.user['id']}/roles", "admin", {"roles": ["user"]}),
        ("POST", "/v1/venues", "creator", venue_body()),
        ("POST", "/v1/events", "creator", event_body(world.venue_id)),
        ("PATCH", f"/v1/events/{world.draft_id}", "creator",
         {"title": "Renamed", "description": "d", "currency": "EUR",
          "max_tickets_per_customer": 5}),
        ("POST", "/v1/tickets/reserve", "user",
         {"event_id": world.event_id, "seats": ["A-1-1", "A-1-2"]}),
        ("POST", "/v1/tickets/reserve", "user",
         {"event_id": world.event_id, "area": "FLOOR", "quantity": 1}),
        ("POST", "/v1/payments/process", "user",
         {"reservation_id": world.reservation_id, "payment_method": "pm_card_visa"}),
        ("POST", "/v1/tickets/some-ticket/check-in", "creator", {"qr": "x.y"}),
        ("PUT", f"/v1/events/{world.draft_id}/waiting-room", "creator",
         {"enabled": True, "rate_per_minute": 60, "max_active": 10,
          "admission_ttl_seconds": 300, "access_list": ["fan@example.com"]}),
    ]  # fmt: skip


def declared_json_targets(world: World, covered: set[tuple[str, str]]) -> list[Target]:
    """The OpenAPI's other JSON-body operations (ones added after the list above): a body
    from the schema's first example (or placeholders), called as admin, path ids pointing
    at the module's event or at nothing."""
    document = world.api.app.openapi()
    components = document.get("components", {}).get("schemas", {})
    found: list[Target] = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content or (method.upper(), template) in covered:
                continue
            schema = content["application/json"]["schema"]
            schema = components.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
            examples = schema.get("examples") or [placeholder_body(schema)]
            path = re.sub(r"\{event_id\}", world.event_id, template)
            path = re.sub(r"\{[^}]+\}", "0" * 24, path)
            found.append((method.upper(), path, "admin", dict(examples[0])))
    return found


def placeholder_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A value for each of a body schema's simple members (strings "x", numbers 1)."""
    body: dict[str, Any] = {}
    for name, member in schema.get("properties", {}).items():
        kinds = {m.get("type") for m in member.get("anyOf", [member])}
        if "string" in kinds:
            body[name] = "x"
        elif kinds & {"integer", "number"}:
            body[name] = 1
        elif "boolean" in kinds:
            body[name] = True
    return body or {"name": "x"}


def leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every value of a JSON document (objects' members and arrays' items)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in [(*path, k), *leaf_paths(v, (*path, k))]]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in [(*path, i), *leaf_paths(v, (*path, i))]]
    return []


def replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(body)
    holder: Any = mutated
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = copy.deepcopy(value)
    return mutated


def assert_no_leak(world: World) -> int:
    """No injected operator in any command sent since recording began; returns the count."""
    leaks = [
        (entry["name"], leak)
        for entry in world.spy.commands
        for leak in operator_leaks(entry["command"], INJECTED)
    ]
    assert not leaks, leaks[:10]
    assert world.spy.commands, "the spy saw no command at all: is it wired to the app?"
    return len(world.spy.commands)


async def test_operator_injection_in_json_bodies(world: World) -> None:
    targets = json_targets(world)
    operations = len({(method, path) for method, path, _, _ in targets})
    with recorded(
        "MongoDB operator injection: JSON bodies",
        load=f"{operations} JSON-body operations (all the OpenAPI declares), each value (any "
        "depth) replaced in turn",
        fault=", ".join(json.dumps(op) for op in OPERATORS[:5]) + ", $in, $nin; "
        "a top-level $where member; a body that is only an operator",
        checked="4xx problem for every one; no command to MongoDB carries an injected operator",
    ) as row:
        world.spy.commands.clear()
        world.spy.recording = True
        sent = 0
        statuses: dict[int, int] = {}
        try:
            for method, path, caller, body in targets:
                variants = [
                    replaced(body, leaf, op) for leaf in leaf_paths(body) for op in OPERATORS
                ]
                variants += [{**body, "$where": OPERATORS[3]["$where"]}, OPERATORS[0]]
                for variant in variants:
                    response = await world.api.client.request(
                        method, path, json=variant, headers=world.headers[caller]
                    )
                    sent += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    assert_problem(response)  # 4xx problem, never a 2xx nor a 5xx
            # The OAuth2 form and the webhook take no JSON model: operators in their shapes.
            form = {"grant_type": "password", "password": "x" * 12}
            for fields in ({"username[$ne]": MARK}, {"username": json.dumps(OPERATORS[0])}):
                response = await world.api.client.post("/v1/auth/token", data={**form, **fields})
                sent += 1
                assert_problem(response, 401, 422)
            hook = await world.api.client.post(
                "/v1/payments/webhook",
                json={"type": {"$ne": MARK}, "data": {"object": {"id": {"$gt": ""}}}},
                headers={"Stripe-Signature": "t=1,v1=" + "0" * 64},
            )
            sent += 1
            assert_problem(hook, 400)
            # The control: the same marker as a plain value does reach MongoDB (as a value),
            # so the spy sees what users send and a leak could not hide from it.
            canary = {"email": f"{MARK}@example.com", "password": "x" * 12}
            assert_problem(await world.api.client.post("/v1/auth/login", json=canary), 401)
            sent += 1
        finally:
            world.spy.recording = False
        commands = assert_no_leak(world)
        assert MARK in repr(world.spy.commands), "the spy saw no command with the canary"
        row.inputs = sent
        row.result = (
            f"{sent} requests: statuses {dict(sorted(statuses.items()))}; "
            f"{commands} MongoDB commands inspected, 0 carried an injected operator"
        )


QUERY_ATTACKS = [
    "q[$ne]=x", "category[$gt]=", "city[$regex]=.*", "mine[$ne]=false", "cursor[$gt]=",
    "limit[$gt]=0", "from[$gt]=", f"q={quote(json.dumps({'$ne': MARK}))}",
    f"category={quote(json.dumps({'$gt': ''}))}",
    f"city={quote(json.dumps({'$where': OPERATORS[3]['$where']}))}",
    f"cursor={quote(json.dumps({'$ne': MARK}))}", "q=%24where", "city=.%2A",
]  # fmt: skip
LISTS = ["/v1/events", "/v1/venues", "/v1/admin/users", "/v1/tickets", "/v1/users/me/orders"]
PATH_IDS = [quote(json.dumps({"$ne": MARK}), safe=""), "%24ne", "[$ne]=1", "%7B%7D", ".*"]
PATHS = [
    "/v1/events/{}", "/v1/events/{}/availability", "/v1/events/{}/seats", "/v1/venues/{}",
    "/v1/reservations/{}", "/v1/payments/{}", "/v1/tickets/{}", "/v1/events/{}/waiting-room",
]  # fmt: skip


async def test_operator_injection_in_query_strings_and_paths(world: World) -> None:
    with recorded(
        "MongoDB operator injection: query strings and path ids",
        load=f"{len(QUERY_ATTACKS)} query attacks on {len(LISTS)} lists (as admin, to see "
        f"most); {len(PATH_IDS)} ids in {len(PATHS)} path templates",
        fault="?q[$ne]=x, ?category[$gt]=, ?city[$regex]=.*, ?mine[$ne]=false, "
        '?cursor[$gt]=, ?q={"$ne":..}, ?category={"$gt":""}, $where; ids {"$ne":..}, [$ne]=1',
        checked=(
            "never a 5xx, errors are problems; bracket parameters are ignored: the answer "
            "equals the unfiltered list (no drafts exposed); no injected operator in a command"
        ),
    ) as row:
        admin, user = world.headers["admin"], world.headers["user"]
        world.spy.commands.clear()
        world.spy.recording = True
        sent = 0
        statuses: dict[int, int] = {}
        try:
            for path in LISTS:
                baseline = await world.api.client.get(path, headers=admin)
                assert baseline.status_code == 200, baseline.text
                for attack in QUERY_ATTACKS:
                    response = await world.api.client.get(f"{path}?{attack}", headers=admin)
                    sent += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code >= 400:
                        assert_problem(response)
                    elif "[" in attack:  # an unknown parameter: ignored, nothing filtered
                        assert response.json()["items"] == baseline.json()["items"], attack
            # As a plain user, `mine[$ne]=false` must not list the creator's draft.
            listed = await world.api.client.get("/v1/events?mine[$ne]=false", headers=user)
            assert world.draft_id not in {e["id"] for e in listed.json()["items"]}
            for template in PATHS:
                for ident in PATH_IDS:
                    response = await world.api.client.get(template.format(ident), headers=admin)
                    sent += 1
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    assert_problem(response, 400, 404, 422)
        finally:
            world.spy.recording = False
        commands = assert_no_leak(world)
        row.inputs = sent
        row.result = (
            f"{sent} requests: statuses {dict(sorted(statuses.items()))} (200s: bracket "
            f"parameters ignored, same answer as none; string values taken literally); "
            f"{commands} commands inspected, 0 leaks"
        )


async def test_oversized_seat_lists_are_refused(world: World) -> None:
    client, user = world.api.client, world.headers["user"]
    cases: list[tuple[str, Any, tuple[int, ...]]] = [
        ("51 seats (limit 50)", [f"A-1-{n}" for n in range(1, 52)], (422,)),
        ("5,000 seats", [f"A-1-{n}" for n in range(5_000)], (422,)),
        ("60,000 seats of 20 chars, over 1 MB", [f"A-1-{n:016d}" for n in range(60_000)], (413,)),
        ("a seat id of 10,000 chars", ["A-1-" + "9" * 10_000], (422,)),
        ("the same seat 50 times", ["A-1-1"] * 50, (422,)),  # invalid before over the limit
        ("quantity 10**9", None, (422,)),
    ]
    with recorded(
        "Oversized seat lists",
        load="one reserve per case",
        fault="; ".join(name for name, _, _ in cases),
        checked="413/422 problems (duplicates: 422, checked before the per-customer limit); "
        "none held",
    ) as row:
        before = (await client.get(f"/v1/events/{world.event_id}/availability")).json()
        seen = []
        for name, seats, expected in cases:
            body: dict[str, Any] = {"event_id": world.event_id}
            body.update({"seats": seats} if seats is not None else {"area": "FLOOR"})
            if seats is None:
                body["quantity"] = 10**9
            response = await client.post("/v1/tickets/reserve", json=body, headers=user)
            assert_problem(response, *expected)
            seen.append(f"{name}: {response.status_code}")
        after = (await client.get(f"/v1/events/{world.event_id}/availability")).json()
        assert (after["available"], after["held"]) == (before["available"], before["held"])
        row.inputs = len(cases)
        row.result = "; ".join(seen) + "; availability unchanged"
