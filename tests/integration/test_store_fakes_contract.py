"""The contracts the use-case unit tests rely on, held by the MongoDB adapters and by
their in-memory fakes (tests/unit/fakes) alike: unique keys, what a read returns,
paging order, conditional updates. A fake that drifts from its adapter fails here."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from actors.mongo_embedded import EmbeddedMongo
from contexts.catalog.promos_store import PromoExists, PromosStore
from contexts.tickets.transfers_store import TicketTransfers
from contexts.webhooks.store import WebhooksStore
from tests.unit.fakes.catalog import FakePromoDefinitions
from tests.unit.fakes.tickets import FakeTicketOrders
from tests.unit.fakes.webhooks import FakeSubscriptions

type Seed = Callable[[dict[str, Any]], Any]


@pytest.fixture(params=["fake", "mongo"])
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """None for the fakes, else a fresh database of the module's embedded MongoDB."""
    if request.param == "fake":
        yield None
        return
    server: EmbeddedMongo = request.getfixturevalue("embedded_mongo")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.url)
    yield client[f"t_{uuid.uuid4().hex[:12]}"]
    await client.close()


@pytest.fixture
async def subscriptions(db: Any) -> Any:
    repo = FakeSubscriptions() if db is None else WebhooksStore(db)
    await repo.ensure_indexes()
    return repo


@pytest.fixture
async def promos(db: Any) -> Any:
    repo = FakePromoDefinitions() if db is None else PromosStore(db, cache_s=0.0)
    await repo.ensure_indexes()
    return repo


def subscription(owner_id: str, event_id: str | None) -> dict[str, Any]:
    return {"owner_id": owner_id, "url": "https://x.example/h", "event_id": event_id,
            "events": ["order.confirmed"]}  # fmt: skip


async def test_subscriptions_create_get_deactivate(subscriptions: Any) -> None:
    made = await subscriptions.create(subscription("u1", None))
    assert made["active"] is True and made["created_at"].tzinfo is not None
    got = await subscriptions.get(str(made["_id"]))
    assert got is not None and got["_id"] == made["_id"] and got["owner_id"] == "u1"
    assert await subscriptions.get("nope") is None
    assert await subscriptions.get("0" * 24) is None
    await subscriptions.deactivate(made)
    assert await subscriptions.get(str(made["_id"])) is None
    assert await subscriptions.page_of_owner("u1", None, 10) == []


async def test_subscriptions_page_newest_first_and_match(subscriptions: Any) -> None:
    ids = []
    for owner, event_id in (("u1", "e1"), ("u2", None), ("u1", None), ("u1", "e2")):
        doc = await subscriptions.create(subscription(owner, event_id))
        ids.append(doc["_id"])
    page = await subscriptions.page_of_owner("u1", None, 2)
    assert [d["_id"] for d in page] == [ids[3], ids[2]]
    rest = await subscriptions.page_of_owner("u1", ids[2], 10)
    assert [d["_id"] for d in rest] == [ids[0]]
    assert len(await subscriptions.page_of_owner(None, None, 10)) == 4
    matched = await subscriptions.matching("e1", "order.confirmed")
    assert sorted(d["_id"] for d in matched) == sorted([ids[0], ids[1], ids[2]])
    assert await subscriptions.matching("e1", "order.failed") == []


async def test_deliveries_log_and_page(subscriptions: Any) -> None:
    sub = await subscriptions.create(subscription("u1", None))
    for attempt in (1, 2):
        await subscriptions.record({"subscription_id": sub["_id"], "message_id": "m1",
                                    "attempt": attempt, "ok": attempt == 2})  # fmt: skip
    assert await subscriptions.attempts(sub["_id"], "m1") == 2
    assert await subscriptions.delivered(sub["_id"], "m1") is True
    assert await subscriptions.delivered(sub["_id"], "m2") is False
    rows = await subscriptions.page_of_deliveries(sub["_id"], None, 1)
    assert [r["attempt"] for r in rows] == [2]
    older = await subscriptions.page_of_deliveries(sub["_id"], rows[0]["_id"], 10)
    assert [r["attempt"] for r in older] == [1]


def promo(event_id: str, code: str, **kw: Any) -> dict[str, Any]:
    return {"event_id": event_id, "code": code, "discount_type": "none", "discount_value": 0,
            "disabled": False, **kw}  # fmt: skip


async def test_promos_unique_per_event_and_read_without_id(promos: Any) -> None:
    await promos.insert(promo("e1", "AAA"))
    with pytest.raises(PromoExists):
        await promos.insert(promo("e1", "AAA", presale=True))
    await promos.insert(promo("e2", "AAA"))
    got = await promos.get("e1", "AAA")
    assert got == promo("e1", "AAA") and "_id" not in got
    assert await promos.cached("e1", "AAA") == got
    assert await promos.get("e1", "BBB") is None


async def test_promos_page_by_code_and_update(promos: Any) -> None:
    for code in ("CCC", "AAA", "BBB"):
        await promos.insert(promo("e1", code))
    assert [d["code"] for d in await promos.page("e1", None, 2)] == ["AAA", "BBB"]
    assert [d["code"] for d in await promos.page("e1", "BBB", 5)] == ["CCC"]
    after = await promos.update("e1", "BBB", {"disabled": True})
    assert after == promo("e1", "BBB", disabled=True)
    assert await promos.update("e1", "ZZZ", {"disabled": True}) is None


@pytest.fixture
async def moves(db: Any) -> tuple[Any, Seed]:
    """(the transfers' store, a coroutine function that stores an order)."""
    if db is None:
        fake = FakeTicketOrders()

        async def seed_fake(order: dict[str, Any]) -> None:
            fake.orders[order["_id"]] = order

        return fake, seed_fake

    async def seed(order: dict[str, Any]) -> None:
        await db["orders"].insert_one(order)

    return TicketTransfers(db["orders"]), seed


def order(status: str = "confirmed", **ticket: Any) -> dict[str, Any]:
    tickets = [{"ticket_id": "o1-1", "qr": "q0", "checked_in_at": None, **ticket},
               {"ticket_id": "o1-2", "qr": "q0", "checked_in_at": None}]  # fmt: skip
    return {"_id": "o1", "user_id": "u1", "status": status, "tickets": tickets}


def record(version: int) -> dict[str, Any]:
    at = datetime.now(UTC).replace(microsecond=0)
    return {"ticket_id": "o1-1", "from": "u1", "to": "u2", "at": at, "version": version}


async def test_move_is_conditional_on_the_version_read(moves: tuple[Any, Seed]) -> None:
    store, seed = moves
    await seed(order())
    assert await store.move("o1", "o1-1", 0, "u2", "q1", record(1)) is True
    assert await store.move("o1", "o1-1", 0, "u3", "q1", record(1)) is False  # stale read
    assert await store.move("o1", "o1-1", 1, "u3", "q2", record(2)) is True
    assert await store.move("o9", "o1-1", 2, "u3", "q2", record(3)) is False


@pytest.mark.parametrize(
    ("status", "ticket"), [("refunded", {}), ("confirmed", {"checked_in_at": datetime.now(UTC)})]
)
async def test_move_refuses_a_void_or_used_ticket(
    moves: tuple[Any, Seed], status: str, ticket: dict[str, Any]
) -> None:
    store, seed = moves
    await seed(order(status, **ticket))
    assert await store.move("o1", "o1-1", 0, "u2", "q1", record(1)) is False
