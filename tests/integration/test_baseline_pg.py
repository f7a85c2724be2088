"""The PostgreSQL baseline (`bench/baseline`, the `make bench` yardstick) on a real server.

Through its ASGI app (lifespan and pool included): no oversell under 1,000 concurrent
requests, explicit-seat conflicts, SKIP LOCKED quantities, the per-customer limit,
confirm, expiry takeover, availability, auth. Each test uses its own event id.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from psycopg.errors import DeadlockDetected

from bench.baseline.app import create_app
from bench.baseline.reserve import Refused
from bench.baseline.sales import transact
from bench.baseline.schema import setup_event
from contexts.shared.settings import DEV_SECRET

DSN = os.environ.get("BASELINE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
Setup = Callable[..., Awaitable[str]]


def token(sub: str, *, audience: str = "ticketing-api", secret: str = DEV_SECRET) -> str:
    now = int(time.time())
    claims = {"iss": "ticketing", "aud": audience, "iat": now, "exp": now + 600, "sub": sub}
    return jwt.encode(claims | {"jti": uuid.uuid4().hex}, secret, algorithm="HS256")


def auth(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub)}"}


@pytest.fixture
async def pg() -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(DSN, autocommit=True) as conn:
        yield conn


@pytest.fixture
async def new_event(pg: psycopg.AsyncConnection) -> AsyncIterator[Setup]:
    created: list[str] = []

    async def make(
        sections: dict[str, list[int]] | None = None,
        areas: dict[str, int] | None = None,
        limit: int | None = None,
        **kw: Any,
    ) -> str:
        event_id = f"t{uuid.uuid4().hex[:16]}"
        sections = {"A": [10, 10]} if sections is None else sections
        areas = areas or {}
        prices = dict.fromkeys(sections, 5_000) | dict.fromkeys(areas, 3_500)
        await setup_event(pg, event_id, sections, areas, limit, prices, **kw)
        created.append(event_id)
        return event_id

    yield make
    for table in ("seats", "holds", "events"):  # leave the shared database as it was
        await pg.execute(f"DELETE FROM baseline.{table} WHERE event_id = ANY(%s)", (created,))


@pytest.fixture
async def app() -> AsyncIterator[Any]:
    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baseline") as http:
        yield http


async def reserve(client: httpx.AsyncClient, who: str, **body: Any) -> httpx.Response:
    return await client.post("/v1/tickets/reserve", json=body, headers=auth(who))


async def counts(client: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/events/{event_id}/availability")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["available"] + body["held"] + body["sold"] == body["capacity"]
    return body


@pytest.mark.parametrize("form", ["seats", "section"])
async def test_1000_concurrent_reserves_on_200_seats(client, new_event: Setup, form: str) -> None:
    event_id = await new_event({"A": [20] * 10})
    seat_ids = [f"A-{r}-{n}" for r in range(1, 11) for n in range(1, 21)]

    def body(i: int) -> dict[str, Any]:
        if form == "seats":
            return {"event_id": event_id, "seats": [seat_ids[i % 200]]}
        return {"event_id": event_id, "section": "A", "quantity": 1}

    responses = await asyncio.gather(*(reserve(client, f"c{i}", **body(i)) for i in range(1000)))
    won = [r.json() for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code != 201]
    assert len(won) == 200 and len(lost) == 800
    expected_code = "seat_unavailable" if form == "seats" else "sold_out"
    assert all(r.status_code == 409 and r.json()["code"] == expected_code for r in lost)
    held = [seat for hold in won for seat in hold["seats"]]
    assert sorted(held) == sorted(seat_ids)  # every seat once, none twice
    assert all(hold["total"] == {"amount": 5_000, "currency": "EUR"} for hold in won)
    assert (await counts(client, event_id))["held"] == 200


async def test_explicit_seat_conflicts(client, new_event: Setup) -> None:
    event_id = await new_event()
    first = await reserve(client, "ann", event_id=event_id, seats=["A-1-2", "A-1-1"])
    assert first.status_code == 201 and sorted(first.json()["seats"]) == ["A-1-1", "A-1-2"]
    clash = await reserve(client, "bob", event_id=event_id, seats=["A-1-3", "A-1-2"])
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["code"] == "seat_unavailable" and clash.json()["seats"] == ["A-1-2"]
    assert (await reserve(client, "bob", event_id=event_id, seats=["A-1-3"])).status_code == 201
    unknown = await reserve(client, "bob", event_id=event_id, seats=["A-9-9"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_seat"
    dup = await reserve(client, "bob", event_id=event_id, seats=["A-2-1", "A-2-1"])
    assert dup.status_code == 422 and dup.json()["code"] == "validation_error"
    # Overlapping pairs in both orders: ordered locking means no deadlock, no double sale.
    pairs = [
        [f"A-2-{i % 10 + 1}", f"A-2-{(i + 3) % 10 + 1}"][:: 1 - 2 * (i % 2)] for i in range(60)
    ]
    results = await asyncio.gather(
        *(reserve(client, f"p{i}", event_id=event_id, seats=p) for i, p in enumerate(pairs))
    )
    assert {r.status_code for r in results} <= {201, 409}
    taken = [s for r in results if r.status_code == 201 for s in r.json()["seats"]]
    assert len(taken) == len(set(taken)) and taken
    assert (await counts(client, event_id))["held"] == 3 + len(taken)


async def test_quantity_holds_skip_locked_rows(client, pg, new_event: Setup) -> None:
    event_id = await new_event(areas={"FLOOR": 100})
    async with await psycopg.AsyncConnection.connect(DSN) as other:  # a slow buyer's locks
        cur = await other.execute(
            "SELECT seat_id FROM baseline.seats WHERE event_id = %s AND section = 'FLOOR'"
            " ORDER BY seat_id LIMIT 10 FOR UPDATE",
            (event_id,),
        )
        busy = {row[0] for row in await cur.fetchall()}
        locked = await asyncio.wait_for(
            reserve(client, "ann", event_id=event_id, area="FLOOR", quantity=2), 5
        )
        assert locked.status_code == 201, locked.text  # did not wait for the locked rows
        assert not busy & set(locked.json()["seats"])  # and took others
        await other.rollback()
    results = await asyncio.gather(
        *(reserve(client, f"c{i}", event_id=event_id, area="FLOOR", quantity=2) for i in range(49))
    )
    assert all(r.status_code == 201 for r in results)
    places = [s for r in [locked, *results] for s in r.json()["seats"]]
    assert len(set(places)) == 100
    out = await reserve(client, "zed", event_id=event_id, area="FLOOR", quantity=1)
    assert out.status_code == 409 and out.json()["code"] == "sold_out"
    body = await counts(client, event_id)
    assert body["areas"]["FLOOR"] == {"capacity": 100, "available": 0, "held": 100, "sold": 0}
    assert body["sections"]["A"]["available"] == 20
    best = await reserve(client, "ann", event_id=event_id, section="A", quantity=3)
    assert best.status_code == 201 and best.json()["total"]["amount"] == 15_000
    bad = await reserve(client, "ann", event_id=event_id, area="NOPE", quantity=1)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_area"


async def test_per_customer_limit(client, new_event: Setup) -> None:
    event_id = await new_event(areas={"FLOOR": 50}, limit=4)
    assert (await reserve(client, "ann", event_id=event_id, seats=["A-1-1"])).status_code == 201
    over = await reserve(client, "ann", event_id=event_id, area="FLOOR", quantity=4)
    assert over.status_code == 409 and over.json()["code"] == "limit_exceeded"
    results = await asyncio.gather(
        *(reserve(client, "bob", event_id=event_id, area="FLOOR", quantity=1) for _ in range(10))
    )
    assert sorted(r.status_code for r in results) == [201] * 4 + [409] * 6  # exact under races
    assert (await counts(client, event_id))["held"] == 5


async def test_confirm_and_expiry(client, new_event: Setup) -> None:
    event_id = await new_event()
    hold = (await reserve(client, "ann", event_id=event_id, seats=["A-1-1", "A-1-2"])).json()
    url = f"/v1/reservations/{hold['reservation_id']}/confirm"
    assert (
        await client.post(url, json={"payment_ref": "pi_1"}, headers=auth("bob"))
    ).status_code == 404
    paid = await client.post(url, json={"payment_ref": "pi_1"}, headers=auth("ann"))
    assert paid.status_code == 200 and paid.json()["status"] == "sold"
    again = await client.post(url, json={"payment_ref": "pi_1"}, headers=auth("ann"))
    assert again.status_code == 200  # same payment: same answer
    other = await client.post(url, json={"payment_ref": "pi_2"}, headers=auth("ann"))
    assert other.status_code == 409 and other.json()["code"] == "hold_already_sold"
    body = await counts(client, event_id)
    assert (body["sold"], body["held"], body["available"]) == (2, 0, 18)
    sold = await reserve(client, "bob", event_id=event_id, seats=["A-1-1"])
    assert sold.status_code == 409

    expired_event = await new_event(areas={"GA": 2}, hold_ttl_s=0)
    old = (await reserve(client, "ann", event_id=expired_event, area="GA", quantity=2)).json()
    assert (await counts(client, expired_event))["areas"]["GA"]["available"] == 2
    takeover = await reserve(client, "bob", event_id=expired_event, area="GA", quantity=2)
    assert takeover.status_code == 201 and sorted(takeover.json()["seats"]) == sorted(old["seats"])
    late = await client.post(
        f"/v1/reservations/{old['reservation_id']}/confirm",
        json={"payment_ref": "pi_3"},
        headers=auth("ann"),
    )
    assert late.status_code == 409 and late.json()["code"] == "hold_expired"


async def test_auth_validation_and_unknown_event(client, new_event: Setup) -> None:
    event_id = await new_event()
    body = {"event_id": event_id, "seats": ["A-1-1"]}
    bare = await client.post("/v1/tickets/reserve", json=body)
    assert bare.status_code == 401 and bare.json()["code"] == "unauthorized"
    for bad in (token("ann", audience="other"), token("ann", secret="x" * 40), "garbage"):
        headers = {"Authorization": f"Bearer {bad}"}
        assert (
            await client.post("/v1/tickets/reserve", json=body, headers=headers)
        ).status_code == 401
    both = await reserve(client, "ann", event_id=event_id, seats=["A-1-1"], area="X", quantity=1)
    assert both.status_code == 422 and both.json()["code"] == "validation_error"
    missing = await reserve(client, "ann", event_id="nope", section="A", quantity=1)
    assert missing.status_code == 404
    assert (await client.get("/v1/events/nope/availability")).status_code == 404


async def test_deadlocks_are_retried_then_busy(app, client, monkeypatch) -> None:
    calls = 0

    async def flaky(conn: psycopg.AsyncConnection, fail: int) -> str:
        nonlocal calls
        calls += 1
        if calls <= fail:
            raise DeadlockDetected("deadlock detected")
        return "ok"

    assert await transact(app.state.pool, flaky, 3) == "ok" and calls == 4
    calls = 0
    with pytest.raises(Refused) as busy:
        await transact(app.state.pool, flaky, 99)
    assert (busy.value.status, busy.value.code, calls) == (503, "busy", 4)

    async def deadlocks(conn: psycopg.AsyncConnection, *args: Any, **kwargs: Any) -> None:
        raise DeadlockDetected("deadlock detected")

    monkeypatch.setattr("bench.baseline.app.reserve", deadlocks)
    busy_http = await reserve(client, "ann", event_id="any", seats=["A-1-1"])
    assert busy_http.status_code == 503 and busy_http.headers["retry-after"] == "1"
    assert busy_http.json()["code"] == "busy"
