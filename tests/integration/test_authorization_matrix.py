"""Who may call what: every endpoint of the app, tried by six callers, against the real app.

The callers: ``anonymous``; ``user`` (a plain user, who owns the reservations,
payments, orders and tickets below); ``other_user`` (another plain user); ``other_creator`` (an
event_creator who does not own the events); ``owner`` (the event_creator who owns
them); ``admin``. Each (endpoint, caller) has a declared outcome: ``ALLOW`` (any 2xx),
or the exact status (401, 403, 404 where existence must not leak, 409 for an allowed
caller whose request the event's state refuses). An endpoint the app gains without a
row in ``MATRIX`` fails ``test_every_endpoint_has_a_matrix_entry``.

One app, one set of users and one small catalog serve the whole module (a module
event loop), so the ~300 cases cost requests, not app starts or password hashes.
Requests that change what they touch get a fresh target per case (a new draft, a new
hold, a new ticket), so no case depends on another's order or outcome. Tickets come
from a real payment request whose order is then confirmed in the store with tickets
issued as the payments worker issues them: no Stripe, no worker.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from bson import ObjectId
from fastapi.routing import iter_route_contexts

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from contexts.tickets.issue import issue_tickets
from tests.integration.api_support import Api, api_settings, delete_worker_queues
from tests.integration.ray_support import ray_local
from tests.reliability import OUTCOMES, record_scenario

__all__ = ["ray_local"]
pytestmark = [pytest.mark.usefixtures("ray_local"), pytest.mark.asyncio(loop_scope="module")]

PROBLEM = "application/problem+json"
ALLOW = "allow"  # any 2xx
CALLERS = ("anonymous", "user", "other_user", "other_creator", "owner", "admin")
PROBLEM_CODES = {401: {"unauthorized"}, 403: {"forbidden"}, 404: {"not_found"}}

type Outcome = str | int


def row(
    anonymous: Outcome,
    user: Outcome,
    other_user: Outcome,
    other_creator: Outcome,
    owner: Outcome,
    admin: Outcome,
) -> dict[str, Outcome]:
    return dict(
        zip(CALLERS, (anonymous, user, other_user, other_creator, owner, admin), strict=True)
    )


PUBLIC = row(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
SIGNED_IN = row(401, ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
ADMIN_ONLY = row(401, 403, 403, 403, 403, ALLOW)
CREATORS = row(401, 403, 403, ALLOW, ALLOW, ALLOW)
MANAGE_PUBLISHED = row(401, 403, 403, 403, ALLOW, ALLOW)  # visible to all, owner/admin change
MANAGE_DRAFT = row(401, 404, 404, 404, ALLOW, ALLOW)  # a draft is nobody else's business
READ_DRAFT = row(404, 404, 404, 404, ALLOW, ALLOW)
LIVE_VIEW_OF_DRAFT = row(404, 404, 404, 404, 409, 409)  # owner sees it, but it has no inventory
RESERVATION_OWNER = row(401, ALLOW, 404, 404, 404, ALLOW)  # the event's owner is not the buyer
TEAM_ONLY = row(401, 404, 404, 404, ALLOW, ALLOW)  # an organiser is its team's business


@dataclass
class World:
    """The module's app, callers and catalog."""

    api: Api
    users: dict[str, dict[str, Any]]  # caller -> account with headers (anonymous: {})
    target: dict[str, Any]  # a plain account that admins grant roles to
    venue_id: str
    published_id: str  # on sale, owned by `owner`
    draft_id: str  # owned by `owner`
    reservation_id: str  # held by `user`
    order_id: str  # `user`'s purchase (a history entry)
    payment_id: str  # `user`'s pending payment (its order id)
    ticket_id: str  # `user`'s ticket, of a confirmed order
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.api.client

    def headers(self, caller: str) -> dict[str, str]:
        return dict(self.users[caller].get("headers", {}))


@dataclass(frozen=True)
class Call:
    """One request: ``kwargs`` go to ``httpx.AsyncClient.request`` (json, data, params)."""

    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


type Prepare = Callable[[World, str], Awaitable[Call]]
type Verify = Callable[[World, str, httpx.Response], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    method: str
    route: str  # the route's path template, as the app declares it
    label: str
    expect: dict[str, Outcome]
    prepare: Prepare
    verify: Verify | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} [{self.label}]"


def on_success(verify: Verify) -> Verify:
    """A verification of what an allowed call answered (skipped for refusals)."""

    async def check(world: World, caller: str, response: httpx.Response) -> None:
        if response.is_success:
            await verify(world, caller, response)

    return check


def fixed(path: str, **kwargs: Any) -> Prepare:
    async def prepare(world: World, caller: str) -> Call:
        return Call(path.format(**vars(world)), kwargs)

    return prepare


# -- fresh targets ---------------------------------------------------------------------


def event_body(venue_id: str, title: str = "Matrix concert") -> dict[str, Any]:
    return {
        "title": title,
        "description": "Authorization matrix",
        "category": "concert",
        "venue_id": venue_id,
        "starts_at": "2030-06-01T20:00:00Z",
        "sale_starts_at": "2020-01-01T00:00:00Z",
        "currency": "EUR",
        "prices": [{"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []}],
        "max_tickets_per_customer": 50,  # `user` holds ~20 seats over the module
        "hold_ttl_seconds": 600,
    }


async def new_draft(world: World) -> str:
    response = await world.client.post(
        "/v1/events", json=event_body(world.venue_id), headers=world.headers("owner")
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def new_listed_event(world: World) -> str:
    """A fresh event that is published in the store (visible to all) without opening
    actors: enough for the requests that check ownership before any inventory."""
    event_id = await new_draft(world)
    now = datetime.now(UTC)
    await world.api.container.db("catalog").events.update_one(
        {"_id": ObjectId(event_id)}, {"$set": {"status": "published", "published_at": now}}
    )
    return event_id


async def new_hold(world: World) -> str:
    """A fresh one-seat hold of `user` on the published event."""
    response = await world.client.post(
        "/v1/tickets/reserve",
        json={"event_id": world.published_id, "section": "A", "quantity": 1},
        headers=world.headers("user"),
    )
    assert response.status_code == 201, response.text
    return response.json()["reservation_id"]


async def fresh_refresh_token(world: World) -> str:
    tokens = await world.api.login(world.users["user"]["email"], world.users["user"]["password"])
    return tokens["refresh_token"]


async def new_payment(world: World) -> str:
    """A fresh pending payment (an order) of `user` for a fresh hold; its id."""
    body = {"reservation_id": await new_hold(world), "payment_method": "pm_card_visa"}
    paid = await world.client.post("/v1/payments/process", json=body, headers=world.headers("user"))
    assert paid.status_code == 202, paid.text
    return paid.json()["payment_id"]


async def new_ticket(world: World) -> dict[str, Any]:
    """A fresh ticket of `user`: a payment whose order is confirmed in the store, with
    tickets issued as the payments worker issues them (no Stripe needed to read or scan)."""
    orders = world.api.container.orders
    order = await orders.get(await new_payment(world))
    tickets = issue_tickets(order, world.api.container.signer)
    await orders.collection.update_one(
        {"_id": order["_id"]}, {"$set": {"status": "confirmed", "tickets": tickets}}
    )
    return tickets[0]


# -- preparations and verifications -----------------------------------------------------


async def prepare_register(world: World, caller: str) -> Call:
    email = f"reg-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": "correct horse 42", "name": "Newcomer"}
    return Call("/v1/auth/register", {"json": body})


async def verify_registered_as_plain_user(world: World, caller: str, r: httpx.Response) -> None:
    assert r.json()["roles"] == ["user"], r.text  # whoever registers, the account is plain


async def prepare_login(world: World, caller: str) -> Call:
    user = world.users["user"]
    return Call("/v1/auth/login", {"json": {"email": user["email"], "password": user["password"]}})


async def prepare_token_form(world: World, caller: str) -> Call:
    user = world.users["user"]
    form = {"grant_type": "password", "username": user["email"], "password": user["password"]}
    return Call("/v1/auth/token", {"data": form})


async def prepare_refresh(world: World, caller: str) -> Call:
    return Call("/v1/auth/refresh", {"json": {"refresh_token": await fresh_refresh_token(world)}})


async def prepare_logout(world: World, caller: str) -> Call:
    return Call("/v1/auth/logout", {"json": {"refresh_token": await fresh_refresh_token(world)}})


async def verify_own_profile(world: World, caller: str, r: httpx.Response) -> None:
    assert r.json()["id"] == world.users[caller]["id"], "a caller gets their own profile only"


async def prepare_rename(world: World, caller: str) -> Call:
    return Call("/v1/users/me", {"json": {"name": f"Renamed {caller}"}})


async def verify_renamed_self_only(world: World, caller: str, r: httpx.Response) -> None:
    await verify_own_profile(world, caller, r)
    assert r.json()["name"] == f"Renamed {caller}"
    assert set(r.json()["roles"]) == set(world.users[caller]["roles"]), "roles unchanged"


async def verify_own_orders(world: World, caller: str, r: httpx.Response) -> None:
    ids = {order["id"] for order in r.json()["items"]}
    if caller == "user":
        assert world.order_id in ids, "the buyer sees their order"
    else:
        assert world.order_id not in ids, f"{caller} sees someone else's order"


async def prepare_set_roles(world: World, caller: str) -> Call:
    """Non-admins try to make themselves admin; the admin grants a plain account."""
    if caller in ("anonymous", "admin"):
        target = world.target["id"]
        roles = ["event_creator", "user"] if caller == "admin" else ["admin", "user"]
    else:
        target, roles = world.users[caller]["id"], ["admin", "event_creator", "user"]
    world.notes[f"roles-target-{caller}"] = target
    return Call(f"/v1/admin/users/{target}/roles", {"json": {"roles": roles}})


async def verify_roles_in_store(world: World, caller: str, r: httpx.Response) -> None:
    target = world.notes[f"roles-target-{caller}"]
    stored = await world.api.container.users.by_id(target)
    if caller == "admin":
        assert set(stored.roles) == {"event_creator", "user"}
    else:
        assert "admin" not in stored.roles, f"{caller} escalated {target} to admin"


async def new_organiser(world: World, with_target: bool = False) -> str:
    """A fresh organiser of `owner`'s (with the `target` account as a member)."""
    made = await world.client.post(
        "/v1/organisers", json={"name": "Matrix org"}, headers=world.headers("owner")
    )
    assert made.status_code == 201, made.text
    org = made.json()["id"]
    if with_target:
        body = {"email": world.target["email"], "permissions": ["check_in"]}
        added = await world.client.post(
            f"/v1/organisers/{org}/members", json=body, headers=world.headers("owner")
        )
        assert added.status_code == 201, added.text
    return org


def on_owners_organiser(suffix: str = "", with_target: bool = False, **kwargs: Any) -> Prepare:
    """``suffix`` (``{target}``: the target account's id) under a fresh organiser."""

    async def prepare(world: World, caller: str) -> Call:
        org = await new_organiser(world, with_target)
        return Call(f"/v1/organisers/{org}{suffix.format(target=world.target['id'])}", kwargs)

    return prepare


async def prepare_add_member(world: World, caller: str) -> Call:
    body = {"email": world.target["email"], "permissions": ["view_reports"]}
    return Call(f"/v1/organisers/{await new_organiser(world)}/members", {"json": body})


async def prepare_venue(world: World, caller: str) -> Call:
    body = {
        "name": f"Hall {caller}",
        "city": "Lyon",
        "country": "FR",
        "sections": [{"name": "A", "rows": [{"label": "1", "seats": 2}]}],
    }
    return Call("/v1/venues", {"json": body})


async def prepare_event(world: World, caller: str) -> Call:
    return Call("/v1/events", {"json": event_body(world.venue_id, f"By {caller}")})


async def verify_event_owned_by_caller(world: World, caller: str, r: httpx.Response) -> None:
    body = r.json()
    assert body["owner_id"] == world.users[caller]["id"] and body["status"] == "draft"


async def verify_search_hides_drafts(world: World, caller: str, r: httpx.Response) -> None:
    ids = {event["id"] for event in r.json()["items"]}
    assert world.published_id in ids
    assert world.draft_id not in ids, f"a draft is listed publicly (to {caller})"


async def verify_mine_lists_own_only(world: World, caller: str, r: httpx.Response) -> None:
    items = r.json()["items"]
    assert all(event["owner_id"] == world.users[caller]["id"] for event in items), items
    assert (world.draft_id in {event["id"] for event in items}) == (caller == "owner")


async def prepare_edit(world: World, caller: str, event_id: str) -> Call:
    return Call(f"/v1/events/{event_id}", {"json": {"description": f"Edited by {caller}"}})


def edit(which: str) -> Prepare:
    async def prepare(world: World, caller: str) -> Call:
        return await prepare_edit(world, caller, getattr(world, which))

    return prepare


async def verify_edit_effect(world: World, caller: str, r: httpx.Response) -> None:
    """Whatever the answer, only the owner's or the admin's edit may have landed."""
    event_id = r.request.url.path.rsplit("/", 1)[-1]
    stored = await world.api.container.catalog.events_repo.get(event_id)
    edited = stored["description"] == f"Edited by {caller}"
    assert edited == (caller in ("owner", "admin")), (caller, stored["description"])


async def prepare_publish_draft(world: World, caller: str) -> Call:
    return Call(f"/v1/events/{await new_draft(world)}/publish")


async def prepare_cancel_listed(world: World, caller: str) -> Call:
    event_id = await new_listed_event(world)
    world.notes[f"cancel-{caller}"] = event_id
    return Call(f"/v1/events/{event_id}/cancel")


async def prepare_cancel_draft(world: World, caller: str) -> Call:
    event_id = await new_draft(world)
    world.notes[f"cancel-{caller}"] = event_id
    return Call(f"/v1/events/{event_id}/cancel")


async def verify_cancel_effect(world: World, caller: str, r: httpx.Response) -> None:
    stored = await world.api.container.catalog.events_repo.get(world.notes[f"cancel-{caller}"])
    assert (stored["status"] == "cancelled") == (caller in ("owner", "admin")), stored["status"]


async def prepare_reserve(world: World, caller: str) -> Call:
    body = {"event_id": world.published_id, "section": "A", "quantity": 1}
    return Call("/v1/tickets/reserve", {"json": body})


async def prepare_reserve_draft(world: World, caller: str) -> Call:
    body = {"event_id": world.draft_id, "section": "A", "quantity": 1}
    return Call("/v1/tickets/reserve", {"json": body})


async def prepare_release(world: World, caller: str) -> Call:
    hold = await new_hold(world)
    world.notes[f"release-{caller}"] = hold
    return Call(f"/v1/reservations/{hold}")


async def verify_release_effect(world: World, caller: str, r: httpx.Response) -> None:
    hold = world.notes[f"release-{caller}"]
    seen = await world.client.get(f"/v1/reservations/{hold}", headers=world.headers("user"))
    assert seen.status_code == 200, seen.text
    expected = "released" if caller in ("user", "admin") else "held"
    assert seen.json()["status"] == expected, f"{caller} released someone else's hold"


async def prepare_pay(world: World, caller: str) -> Call:
    body = {"reservation_id": await new_hold(world), "payment_method": "pm_card_visa"}
    return Call("/v1/payments/process", {"json": body})


async def verify_own_tickets(world: World, caller: str, r: httpx.Response) -> None:
    ids = {ticket["ticket_id"] for ticket in r.json()["items"]}
    assert (world.ticket_id in ids) == (caller == "user"), f"{caller} lists another's ticket"


async def verify_stream_starts_with_the_state(world: World, caller: str, r: httpx.Response) -> None:
    assert r.headers["content-type"].startswith("text/event-stream"), r.headers
    assert r.text.startswith("retry: ") and "event: state\n" in r.text, r.text[:200]


async def verify_placement_lists_the_event(world: World, caller: str, r: httpx.Response) -> None:
    [event] = [e for e in r.json()["events"] if e["event_id"] == world.published_id]
    assert event["actors"] and event["actors"][0]["node_id"], event
    assert r.json()["nodes"][0]["alive"]


async def prepare_check_in(world: World, caller: str) -> Call:
    ticket = await new_ticket(world)
    world.notes[f"check-in-{caller}"] = ticket["ticket_id"]
    return Call(f"/v1/tickets/{ticket['ticket_id']}/check-in", {"json": {"qr": ticket["qr"]}})


async def verify_check_in_effect(world: World, caller: str, r: httpx.Response) -> None:
    ticket_id = world.notes[f"check-in-{caller}"]
    seen = await world.client.get(f"/v1/tickets/{ticket_id}", headers=world.headers("user"))
    expected = "checked_in" if caller in ("owner", "admin") else "valid"
    assert seen.json()["status"] == expected, f"{caller} checked in a ticket"


async def prepare_transfer(world: World, caller: str) -> Call:
    """Each caller tries to send `user`'s fresh ticket to `other_user`."""
    ticket = await new_ticket(world)
    world.notes[f"transfer-{caller}"] = ticket["ticket_id"]
    body = {"to_email": world.users["other_user"]["email"]}
    return Call(f"/v1/tickets/{ticket['ticket_id']}/transfer", {"json": body})


async def verify_transfer_effect(world: World, caller: str, r: httpx.Response) -> None:
    """Only the holder's transfer moved the ticket."""
    ticket_id = world.notes[f"transfer-{caller}"]
    seen = await world.client.get(f"/v1/tickets/{ticket_id}", headers=world.headers("user"))
    assert (seen.status_code == 404) == (caller == "user"), f"{caller} moved `user`'s ticket"


async def queue_event(world: World) -> str:
    """One event with its waiting room on (the owner set it up), made once: joins and
    places are tried on it; admission is quick (a thousand at a time), so streams end."""
    event_id = world.notes.get("queue-event")
    if event_id is None:
        event_id = await new_listed_event(world)
        room = await world.client.put(
            f"/v1/events/{event_id}/waiting-room",
            json={"max_active": 1000},
            headers=world.headers("owner"),
        )
        assert room.status_code == 200, room.text
        world.notes["queue-event"] = event_id
    return event_id


async def prepare_room_on_listed(world: World, caller: str) -> Call:
    event_id = await new_listed_event(world)
    world.notes[f"room-{caller}"] = event_id
    return Call(f"/v1/events/{event_id}/waiting-room", {"json": {"rate_per_minute": 60}})


async def verify_room_effect(world: World, caller: str, r: httpx.Response) -> None:
    """Only the owner's or the admin's set-up turned a room on."""
    event_id = world.notes[f"room-{caller}"]
    seen = await world.client.get(f"/v1/events/{event_id}/waiting-room")
    assert seen.json()["enabled"] == (caller in ("owner", "admin")), (caller, seen.text)


async def prepare_join(world: World, caller: str) -> Call:
    return Call(f"/v1/events/{await queue_event(world)}/queue")


HOOK_URL = "http://127.0.0.1:9/hook"  # never called: no webhooks worker runs here


async def prepare_subscribe(world: World, caller: str) -> Call:
    return Call("/v1/webhooks", {"json": {"url": HOOK_URL, "event_id": world.published_id}})


def on_owners_webhook(suffix: str = "") -> Prepare:
    """A fresh subscription of the owner's, then ``suffix`` under it."""

    async def prepare(world: World, caller: str) -> Call:
        made = await world.client.post(
            "/v1/webhooks",
            headers=world.headers("owner"),
            json={"url": HOOK_URL, "event_id": world.published_id},
        )
        assert made.status_code == 201, made.text
        return Call(f"/v1/webhooks/{made.json()['id']}{suffix}")

    return prepare


def joined_first(suffix: str) -> Prepare:
    """A place of the caller's own (joined first, when signed in), then ``suffix``."""

    async def prepare(world: World, caller: str) -> Call:
        event_id = await queue_event(world)
        if caller != "anonymous":
            joined = await world.client.post(
                f"/v1/events/{event_id}/queue", headers=world.headers(caller)
            )
            assert joined.status_code == 200, joined.text
        return Call(f"/v1/events/{event_id}/queue/{suffix}")

    return prepare


async def verify_own_place(world: World, caller: str, r: httpx.Response) -> None:
    """An admission names its holder: never another caller."""
    token = r.json().get("admission_token")
    if token:  # raises unless it admits this caller to this event
        tokens = world.api.container.waiting_room.tokens
        tokens.check_admission(token, world.users[caller]["id"], r.json()["event_id"])


# -- the matrix ----------------------------------------------------------------------------

# -- promo codes: the event's managers create, list and change them -------------------------


def prepare_promo_create(which: str) -> Prepare:
    async def prepare(world: World, caller: str) -> Call:
        code = f"M{which[:3]}{caller}".upper()  # one per (event, caller): never a duplicate
        world.notes[f"promo-{which}-{caller}"] = code
        return Call(f"/v1/events/{getattr(world, which)}/promo-codes", {"json": {"code": code}})

    return prepare


async def verify_promo_created(world: World, caller: str, r: httpx.Response) -> None:
    listed = await world.client.get(
        f"/v1/events/{world.published_id}/promo-codes",
        params={"limit": 100},
        headers=world.headers("owner"),
    )
    codes = {c["code"] for c in listed.json()["items"]}
    made = world.notes[f"promo-published_id-{caller}"] in codes
    assert made == (caller in ("owner", "admin")), (caller, listed.text)


async def prepare_promo_disable(world: World, caller: str) -> Call:
    code = f"OFF{caller}".upper()
    made = await world.client.post(
        f"/v1/events/{world.published_id}/promo-codes",
        json={"code": code},
        headers=world.headers("owner"),
    )
    assert made.status_code == 201, made.text
    return Call(f"/v1/events/{world.published_id}/promo-codes/{code}", {"json": {"disabled": True}})


MATRIX: list[Scenario] = [
    # operations
    Scenario("GET", "/health", "liveness", PUBLIC, fixed("/health")),
    Scenario("GET", "/ready", "readiness", PUBLIC, fixed("/ready")),
    Scenario("GET", "/metrics", "prometheus", PUBLIC, fixed("/metrics")),
    Scenario("GET", "/openapi.json", "schema", PUBLIC, fixed("/openapi.json")),
    Scenario("GET", "/docs", "swagger ui", PUBLIC, fixed("/docs")),
    Scenario(
        "GET", "/docs/oauth2-redirect", "swagger oauth", PUBLIC, fixed("/docs/oauth2-redirect")
    ),
    Scenario(
        "GET", "/docs/assets/{path:path}", "swagger ui's files", PUBLIC,
        fixed("/docs/assets/swagger-ui.css"),
    ),
    Scenario("GET", "/favicon.ico", "icon", PUBLIC, fixed("/favicon.ico")),
    # auth: public by nature (the body carries the credentials)
    Scenario(
        "POST", "/v1/auth/register", "new account", PUBLIC, prepare_register,
        on_success(verify_registered_as_plain_user),
    ),
    Scenario("POST", "/v1/auth/login", "json login", PUBLIC, prepare_login),
    Scenario("POST", "/v1/auth/token", "oauth2 form", PUBLIC, prepare_token_form),
    Scenario("POST", "/v1/auth/refresh", "rotate", PUBLIC, prepare_refresh),
    Scenario("POST", "/v1/auth/logout", "revoke", PUBLIC, prepare_logout),
    # one's own account
    Scenario(
        "GET", "/v1/users/me", "profile", SIGNED_IN, fixed("/v1/users/me"),
        on_success(verify_own_profile),
    ),
    Scenario(
        "PATCH", "/v1/users/me", "rename", SIGNED_IN, prepare_rename,
        on_success(verify_renamed_self_only),
    ),
    Scenario(
        "GET", "/v1/users/me/orders", "history", SIGNED_IN, fixed("/v1/users/me/orders"),
        on_success(verify_own_orders),
    ),
    # administration
    Scenario("GET", "/v1/admin/users", "list", ADMIN_ONLY, fixed("/v1/admin/users")),
    Scenario(
        "GET", "/v1/admin/audit", "log", ADMIN_ONLY, fixed("/v1/admin/audit", params={"limit": 5}),
    ),
    Scenario(
        "GET", "/v1/admin/placement", "actors per node", ADMIN_ONLY,
        fixed("/v1/admin/placement", params={"limit": 100}),
        on_success(verify_placement_lists_the_event),
    ),
    Scenario(
        "PATCH", "/v1/admin/users/{user_id}/roles", "grant", ADMIN_ONLY, prepare_set_roles,
        verify_roles_in_store,
    ),
    # venues
    Scenario("POST", "/v1/venues", "create", CREATORS, prepare_venue),
    Scenario("GET", "/v1/venues", "list", PUBLIC, fixed("/v1/venues")),
    # organisers: event creators found them; their team (manage_team) manages members
    Scenario(
        "POST", "/v1/organisers", "create", CREATORS, fixed("/v1/organisers", json={"name": "O"}),
    ),
    Scenario("GET", "/v1/organisers/mine", "mine", SIGNED_IN, fixed("/v1/organisers/mine")),
    Scenario(
        "GET", "/v1/organisers/{organiser_id}", "owner's", TEAM_ONLY, on_owners_organiser(),
    ),
    Scenario(
        "POST", "/v1/organisers/{organiser_id}/members", "owner's fresh organiser", TEAM_ONLY,
        prepare_add_member,
    ),
    Scenario(
        "PATCH", "/v1/organisers/{organiser_id}/members/{user_id}", "a member", TEAM_ONLY,
        on_owners_organiser("/members/{target}", True, json={"permissions": ["refund"]}),
    ),
    Scenario(
        "DELETE", "/v1/organisers/{organiser_id}/members/{user_id}", "a member", TEAM_ONLY,
        on_owners_organiser("/members/{target}", True),
    ),
    Scenario("GET", "/v1/venues/{venue_id}", "read", PUBLIC, fixed("/v1/venues/{venue_id}")),
    # events
    Scenario(
        "POST", "/v1/events", "create draft", CREATORS, prepare_event,
        on_success(verify_event_owned_by_caller),
    ),
    Scenario(
        "GET", "/v1/events", "public search", PUBLIC, fixed("/v1/events", params={"limit": 100}),
        on_success(verify_search_hides_drafts),
    ),
    Scenario(
        "GET", "/v1/events", "mine", SIGNED_IN,
        fixed("/v1/events", params={"mine": "true", "limit": 100}),
        on_success(verify_mine_lists_own_only),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}", "published", PUBLIC, fixed("/v1/events/{published_id}")
    ),
    Scenario("GET", "/v1/events/{event_id}", "draft", READ_DRAFT, fixed("/v1/events/{draft_id}")),
    Scenario(
        "PATCH", "/v1/events/{event_id}", "published", MANAGE_PUBLISHED, edit("published_id"),
        verify_edit_effect,
    ),
    Scenario(
        "PATCH", "/v1/events/{event_id}", "draft", MANAGE_DRAFT, edit("draft_id"),
        verify_edit_effect,
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/publish", "fresh draft", MANAGE_DRAFT,
        prepare_publish_draft,
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/publish", "already published (idempotent)",
        MANAGE_PUBLISHED, fixed("/v1/events/{published_id}/publish"),
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/cancel", "published", MANAGE_PUBLISHED,
        prepare_cancel_listed, verify_cancel_effect,
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/cancel", "draft", MANAGE_DRAFT, prepare_cancel_draft,
        verify_cancel_effect,
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/availability", "published", PUBLIC,
        fixed("/v1/events/{published_id}/availability"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/availability", "draft", LIVE_VIEW_OF_DRAFT,
        fixed("/v1/events/{draft_id}/availability"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/seats", "published", PUBLIC,
        fixed("/v1/events/{published_id}/seats"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/seats", "draft", LIVE_VIEW_OF_DRAFT,
        fixed("/v1/events/{draft_id}/seats"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/stream", "published", PUBLIC,
        fixed("/v1/events/{published_id}/stream"),
        on_success(verify_stream_starts_with_the_state),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/stream", "draft", LIVE_VIEW_OF_DRAFT,
        fixed("/v1/events/{draft_id}/stream"),
    ),
    # web pages: static files and what they are told (Stripe.js, the publishable key)
    Scenario("GET", "/", "home", PUBLIC, fixed("/", follow_redirects=True)),
    Scenario("GET", "/web/{path:path}", "a page", PUBLIC, fixed("/web/event.html")),
    Scenario("GET", "/v1/web/config", "stripe.js", PUBLIC, fixed("/v1/web/config")),
    # reservations
    Scenario("POST", "/v1/tickets/reserve", "one seat", SIGNED_IN, prepare_reserve),
    Scenario(
        "POST", "/v1/tickets/reserve", "draft event", row(401, 404, 404, 404, 409, 409),
        prepare_reserve_draft,
    ),
    Scenario(
        "GET", "/v1/reservations/{reservation_id}", "user's hold", RESERVATION_OWNER,
        fixed("/v1/reservations/{reservation_id}"),
    ),
    Scenario(
        "DELETE", "/v1/reservations/{reservation_id}", "user's fresh hold", RESERVATION_OWNER,
        prepare_release, verify_release_effect,
    ),
    # payments: the payer's own; Stripe's webhook is public and proves itself by signature
    Scenario(
        "POST", "/v1/payments/process", "user's fresh hold",
        row(401, ALLOW, 404, 404, 404, 404),  # nobody pays (or learns of) another's hold
        prepare_pay,
    ),
    Scenario(
        "GET", "/v1/payments/{payment_id}", "user's payment", RESERVATION_OWNER,
        fixed("/v1/payments/{payment_id}"),
    ),
    Scenario(
        "POST", "/v1/payments/webhook", "unsigned", row(400, 400, 400, 400, 400, 400),
        fixed("/v1/payments/webhook", content=b'{"type": "payment_intent.succeeded"}'),
    ),
    # orders: the organiser or an admin refunds (a pending order is not refundable yet)
    Scenario(
        "POST", "/v1/orders/{order_id}/refund", "user's pending order",
        row(401, 403, 404, 404, 409, 409),
        fixed("/v1/orders/{payment_id}/refund"),
    ),
    # tickets: the holder reads them; the organiser or an admin checks them in
    Scenario(
        "GET", "/v1/tickets", "mine", SIGNED_IN, fixed("/v1/tickets"),
        on_success(verify_own_tickets),
    ),
    Scenario(
        "GET", "/v1/tickets/public-key", "scanners' key", PUBLIC, fixed("/v1/tickets/public-key")
    ),
    Scenario(
        "GET", "/v1/tickets/{ticket_id}", "user's ticket", RESERVATION_OWNER,
        fixed("/v1/tickets/{ticket_id}"),
    ),
    Scenario(
        "POST", "/v1/tickets/{ticket_id}/check-in", "user's fresh ticket",
        row(401, 403, 404, 404, ALLOW, ALLOW), prepare_check_in, verify_check_in_effect,
    ),
    Scenario(
        "POST", "/v1/tickets/{ticket_id}/transfer", "user's fresh ticket",
        row(401, ALLOW, 404, 404, 404, 404),  # the holder only; nobody else learns of it
        prepare_transfer, verify_transfer_effect,
    ),
    # reports: the event's owner (or a member with view_reports) and admins
    *[
        Scenario(
            "GET", f"/v1/events/{{event_id}}/reports/{report}", which, expect,
            fixed(f"/v1/events/{{{which}_id}}/reports/{report}"),
        )
        for report in ("sales", "check-ins", "tickets.csv")
        for which, expect in (("published", MANAGE_PUBLISHED), ("draft", MANAGE_DRAFT))
    ],
    # webhooks: organisers subscribe to their own events; a subscription is its owner's
    Scenario(
        "POST", "/v1/webhooks", "owner's published event", row(401, 403, 403, 403, ALLOW, ALLOW),
        prepare_subscribe,
    ),
    Scenario(
        "GET", "/v1/webhooks", "mine", CREATORS, fixed("/v1/webhooks"),
    ),
    Scenario(
        "GET", "/v1/webhooks/{webhook_id}", "owner's", row(401, 403, 403, 404, ALLOW, ALLOW),
        on_owners_webhook(),
    ),
    Scenario(
        "DELETE", "/v1/webhooks/{webhook_id}", "owner's fresh",
        row(401, 403, 403, 404, ALLOW, ALLOW), on_owners_webhook(),
    ),
    Scenario(
        "GET", "/v1/webhooks/{webhook_id}/deliveries", "owner's",
        row(401, 403, 403, 404, ALLOW, ALLOW), on_owners_webhook("/deliveries"),
    ),
    # waiting list: signed-in buyers join a sold-out event (this one has seats: 409)
    Scenario(
        "POST", "/v1/events/{event_id}/waiting-list", "seats on sale",
        row(401, 409, 409, 409, 409, 409),
        fixed("/v1/events/{published_id}/waiting-list", json={"section": "A", "quantity": 1}),
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/waiting-list", "draft", row(401, 404, 404, 404, 404, 404),
        fixed("/v1/events/{draft_id}/waiting-list", json={"quantity": 1}),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/waiting-list/me", "not on it",
        row(401, 404, 404, 404, 404, 404), fixed("/v1/events/{published_id}/waiting-list/me"),
    ),
    Scenario(
        "DELETE", "/v1/events/{event_id}/waiting-list/me", "not on it",
        row(401, 404, 404, 404, 404, 404), fixed("/v1/events/{published_id}/waiting-list/me"),
    ),
    # waiting room: the organiser sets it up; buyers join and follow their own place
    Scenario(
        "PUT", "/v1/events/{event_id}/waiting-room", "fresh published event", MANAGE_PUBLISHED,
        prepare_room_on_listed, verify_room_effect,
    ),
    Scenario(
        "PUT", "/v1/events/{event_id}/waiting-room", "draft", MANAGE_DRAFT,
        fixed("/v1/events/{draft_id}/waiting-room", json={"max_active": 10}),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/waiting-room", "published", PUBLIC,
        fixed("/v1/events/{published_id}/waiting-room"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/waiting-room", "draft", READ_DRAFT,
        fixed("/v1/events/{draft_id}/waiting-room"),
    ),
    Scenario("POST", "/v1/events/{event_id}/queue", "room on", SIGNED_IN, prepare_join),
    Scenario(
        "GET", "/v1/events/{event_id}/queue/me", "own place", SIGNED_IN, joined_first("me"),
        on_success(verify_own_place),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/queue/stream", "own place", SIGNED_IN,
        joined_first("stream"),
    ),
    # promo codes: organisers' business, and a draft's codes are nobody else's
    Scenario(
        "POST", "/v1/events/{event_id}/promo-codes", "published", MANAGE_PUBLISHED,
        prepare_promo_create("published_id"), verify_promo_created,
    ),
    Scenario(
        "POST", "/v1/events/{event_id}/promo-codes", "draft", MANAGE_DRAFT,
        prepare_promo_create("draft_id"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/promo-codes", "published", MANAGE_PUBLISHED,
        fixed("/v1/events/{published_id}/promo-codes"),
    ),
    Scenario(
        "GET", "/v1/events/{event_id}/promo-codes", "draft", MANAGE_DRAFT,
        fixed("/v1/events/{draft_id}/promo-codes"),
    ),
    Scenario(
        "PATCH", "/v1/events/{event_id}/promo-codes/{code}", "disable", MANAGE_PUBLISHED,
        prepare_promo_disable,
    ),
]  # fmt: skip


# -- the app and its callers, once per module ---------------------------------------------


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, embedded_mongo: EmbeddedMongo, ray_local: None
) -> AsyncIterator[World]:
    tmp: Path = tmp_path_factory.mktemp("authz")
    # Queues of our own and no in-process workers: nothing here pays, and a worker on
    # the shared queues would consume other runs' messages.
    settings = api_settings(
        tmp, embedded_mongo, amqp_queue_prefix=f"authz-{uuid.uuid4().hex[:8]}", run_workers=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = Api(client, app, settings)
            users: dict[str, dict[str, Any]] = {"anonymous": {}}
            for caller, roles in (
                ("user", ()),
                ("other_user", ()),
                ("other_creator", ("event_creator",)),
                ("owner", ("event_creator",)),
                ("admin", ("admin",)),
            ):
                account = await api.user(*roles)
                users[caller] = {**account, "roles": sorted({"user", *roles})}
            target = await api.register()
            owner = users["owner"]["headers"]
            venue = await client.post(
                "/v1/venues",
                headers=owner,
                json={
                    "name": "Matrix Hall",
                    "city": "Paris",
                    "country": "FR",
                    "sections": [
                        {"name": "A", "rows": [{"label": str(r), "seats": 10} for r in range(1, 7)]}
                    ],
                },
            )
            assert venue.status_code == 201, venue.text
            venue_id = venue.json()["id"]
            published = await client.post(
                "/v1/events", headers=owner, json=event_body(venue_id, "Published")
            )
            assert published.status_code == 201, published.text
            published_id = published.json()["id"]
            done = await client.post(f"/v1/events/{published_id}/publish", headers=owner)
            assert done.status_code == 200, done.text
            draft = await client.post("/v1/events", headers=owner, json=event_body(venue_id))
            assert draft.status_code == 201, draft.text
            hold = await client.post(
                "/v1/tickets/reserve",
                json={"event_id": published_id, "section": "A", "quantity": 1},
                headers=users["user"]["headers"],
            )
            assert hold.status_code == 201, hold.text
            order = await api.container.db("orders").orders.insert_one(
                {
                    "user_id": users["user"]["id"],
                    "event_id": published_id,
                    "status": "paid",
                    "total": {"amount": 5000, "currency": "EUR"},
                    "tickets": [{"seat": "A-3-10"}],
                    "created_at": datetime.now(UTC),
                }
            )
            world = World(
                api=api,
                users=users,
                target=target,
                venue_id=venue_id,
                published_id=published_id,
                draft_id=draft.json()["id"],
                reservation_id=hold.json()["reservation_id"],
                order_id=str(order.inserted_id),
                payment_id="",
                ticket_id="",
            )
            world.payment_id = await new_payment(world)
            world.ticket_id = (await new_ticket(world))["ticket_id"]
            yield world
    await delete_worker_queues(settings)


# -- the tests --------------------------------------------------------------------------------


def app_endpoints(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path) of every route the app serves, from its routes and its OpenAPI.
    HEAD (added by Starlette to GET routes) is not an endpoint of its own; a route
    without methods (a mount) is listed as ANY."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or getattr(route.original_route, "path", "?")
        methods = route.methods or {"ANY"}
        found |= {(m, path) for m in methods if m != "HEAD"}
    for path, item in app.openapi()["paths"].items():
        found |= {(m.upper(), path) for m in item if m.upper() != "HEAD"}
    return found


async def test_every_endpoint_has_a_matrix_entry(world: World) -> None:
    served = app_endpoints(world.api.app)
    declared = {(s.method, s.route) for s in MATRIX}
    missing = sorted(served - declared)
    assert not missing, (
        "Endpoints without an authorization-matrix entry (add a Scenario to MATRIX in "
        f"{Path(__file__).name} declaring who may call them): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )
    stale = sorted(declared - served)
    assert not stale, "MATRIX entries for endpoints the app no longer serves: " + ", ".join(
        f"{m} {p}" for m, p in stale
    )


async def test_the_matrix_is_complete() -> None:
    for scenario in MATRIX:
        assert set(scenario.expect) == set(CALLERS), scenario.id
    assert len({s.id for s in MATRIX}) == len(MATRIX), "duplicate scenario ids"


def matches(outcome: Outcome, status: int) -> bool:
    return 200 <= status < 300 if outcome == ALLOW else status == outcome


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("scenario", MATRIX, ids=lambda s: s.id)
async def test_authorization(world: World, scenario: Scenario, caller: str) -> None:
    call = await scenario.prepare(world, caller)
    response = await world.client.request(
        scenario.method, call.path, headers=world.headers(caller), **call.kwargs
    )
    expected = scenario.expect[caller]
    assert matches(expected, response.status_code), (
        f"{scenario.id} as {caller}: expected {expected}, got {response.status_code}: "
        f"{response.text[:300]}"
    )
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.headers
        problem = response.json()
        assert problem["status"] == response.status_code
        codes = PROBLEM_CODES.get(response.status_code)
        if codes is not None:
            assert problem["code"] in codes, problem
        if response.status_code == 401:
            assert response.headers.get("www-authenticate") == "Bearer"
    if scenario.verify is not None:
        await scenario.verify(world, caller, response)


# -- focused checks: no IDOR, no escalation, no leak ------------------------------------------


async def test_someone_elses_reservation_is_indistinguishable_from_a_missing_one(
    world: World,
) -> None:
    other = world.headers("other_user")
    theirs = await world.client.get(f"/v1/reservations/{world.reservation_id}", headers=other)
    event, _, rest = world.reservation_id.partition(".")
    forged = f"{event}.{rest[::-1]}" if rest else f"{event}.0.0.0"
    missing = await world.client.get(f"/v1/reservations/{forged}", headers=other)
    bogus = await world.client.get("/v1/reservations/not-a-reservation", headers=other)
    for response in (theirs, missing, bogus):
        assert response.status_code == 404, response.text
        body = response.json()
        assert (body["code"], body["title"]) == ("not_found", "Not Found"), body
    # the body names only what the caller sent: nothing about the real hold leaks
    leaked = theirs.text.replace(world.reservation_id, "")
    assert "A-" not in leaked and world.users["user"]["id"] not in leaked
    released = await world.client.delete(f"/v1/reservations/{world.reservation_id}", headers=other)
    assert released.status_code == 404
    mine = await world.client.get(
        f"/v1/reservations/{world.reservation_id}", headers=world.headers("user")
    )
    assert mine.status_code == 200 and mine.json()["status"] == "held", mine.text


async def test_a_draft_is_indistinguishable_from_a_missing_event(world: World) -> None:
    other = world.headers("other_creator")
    missing = str(ObjectId())
    for suffix in ("", "/availability", "/seats"):
        draft = await world.client.get(f"/v1/events/{world.draft_id}{suffix}", headers=other)
        absent = await world.client.get(f"/v1/events/{missing}{suffix}", headers=other)
        assert draft.status_code == absent.status_code == 404
        assert draft.json()["code"] == absent.json()["code"] == "not_found"
        assert draft.json()["detail"].replace(world.draft_id, missing) == absent.json()["detail"]
    for action in ("publish", "cancel"):
        draft = await world.client.post(f"/v1/events/{world.draft_id}/{action}", headers=other)
        absent = await world.client.post(f"/v1/events/{missing}/{action}", headers=other)
        assert draft.status_code == absent.status_code == 404
    stored = await world.api.container.catalog.events_repo.get(world.draft_id)
    assert stored["status"] == "draft"


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["admin"]},
        {"roles": ["admin", "event_creator", "user"]},
        {"name": "Sneaky", "roles": ["event_creator"]},
        {"roles": []},
        {"is_admin": True},
        {"id": "someone-else"},
        {"email": "admin@example.com"},
    ],
)
async def test_profile_update_cannot_escalate(world: World, body: dict[str, Any]) -> None:
    headers = world.headers("other_user")
    before = (await world.client.get("/v1/users/me", headers=headers)).json()
    refused = await world.client.patch("/v1/users/me", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert refused.json()["code"] == "validation_error"
    after = (await world.client.get("/v1/users/me", headers=headers)).json()
    assert after == before, "a refused update changed the profile"
    stored = await world.api.container.users.by_id(world.users["other_user"]["id"])
    assert list(stored.roles) == ["user"]


async def test_roles_in_a_fresh_token_come_from_the_store_not_from_requests(
    world: World,
) -> None:
    """After trying every escalation path, a fresh login still carries role `user` only."""
    account = world.users["other_user"]
    headers = world.headers("other_user")
    await world.client.patch("/v1/users/me", json={"roles": ["admin"]}, headers=headers)
    await world.client.patch(
        f"/v1/admin/users/{account['id']}/roles", json={"roles": ["admin"]}, headers=headers
    )
    tokens = await world.api.login(account["email"], account["password"])
    principal = world.api.container.tokens.principal(tokens["access_token"])
    assert principal.roles == frozenset({"user"})
    fresh = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await world.client.get("/v1/admin/users", headers=fresh)).status_code == 403
    venue = await prepare_venue(world, "escalated")
    created = await world.client.post(venue.path, headers=fresh, **venue.kwargs)
    assert created.status_code == 403


async def test_an_invalid_token_is_refused_not_treated_as_anonymous(world: World) -> None:
    """A forged or garbled token gets 401, even on routes that allow anonymous callers:
    a client never silently loses its identity (and its drafts) to a typo."""
    bad = {"Authorization": "Bearer not.a.jwt"}
    for path in ("/v1/users/me", f"/v1/events/{world.draft_id}", "/v1/events"):
        response = await world.client.get(path, headers=bad)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["code"] != "internal_error"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/users/me", "GET, PATCH"),
        ("PUT", "/v1/events/{published_id}", "GET, PATCH"),
        ("PUT", "/v1/reservations/{reservation_id}", "DELETE, GET"),
        ("DELETE", "/v1/tickets/reserve", "POST"),
        ("DELETE", "/v1/payments/webhook", "POST"),  # not GET /v1/payments/{payment_id}'s
    ],
)
async def test_method_not_allowed_names_every_method_of_the_resource(
    world: World, method: str, path: str, allow: str
) -> None:
    response = await world.client.request(
        method, path.format(**vars(world)), headers=world.headers("admin")
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "method_not_allowed"


async def test_report_row_for_the_matrix(request: pytest.FixtureRequest) -> None:
    """The matrix's row in the reliability report (docs/reliability.md): how many endpoints
    and callers, and how many of this run's cases behaved as declared. Last in the module,
    so every case of the run already has its outcome; it fails if any of them failed."""
    module = request.node.nodeid.split("::")[0]
    cases = {
        nodeid: outcome
        for nodeid, outcome in OUTCOMES.items()
        if nodeid.startswith(f"{module}::test_authorization[")
    }
    endpoints = {(s.method, s.route) for s in MATRIX}
    row = record_scenario(
        "abuse",
        "Authorization matrix (IDOR, role escalation, other organisers' events)",
        f"{len(endpoints)} endpoints, {len(MATRIX)} scenarios x {len(CALLERS)} callers "
        f"= {len(MATRIX) * len(CALLERS)} cases",
        f"every endpoint called as {', '.join(CALLERS)}",
        "each (endpoint, caller) gets its declared outcome: 2xx, or the exact 401/403/404/409 "
        "problem; effects verified; every served endpoint has an entry",
        "no case ran",
    )
    failed = sorted(nodeid for nodeid, outcome in cases.items() if outcome != "pass")
    row.inputs = len(cases)
    if cases:
        row.result = f"{len(cases) - len(failed)}/{len(cases)} cases as declared"
    assert not failed, failed[:10]
