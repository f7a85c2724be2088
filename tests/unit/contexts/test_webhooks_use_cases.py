"""Webhook subscriptions (``contexts.webhooks.subscriptions``) against in-memory fakes:
who may subscribe, what leaks to whom, paging, deletion. No network, no database."""

from __future__ import annotations

import pytest

from contexts.shared.errors import Forbidden, Invalid, NotFound
from contexts.shared.principal import Principal
from contexts.webhooks.schemas import WebhookCreate
from contexts.webhooks.subscriptions import WebhookService
from tests.unit.fakes.webhooks import Event, FakeEventOwners, FakeSubscriptions

OWNER = Principal("u-owner", frozenset({"organiser"}))
OTHER = Principal("u-other", frozenset({"organiser"}))
ADMIN = Principal("u-admin", frozenset({"admin"}))
EVENT, DRAFT = "a" * 24, "b" * 24
URL = "https://hooks.example.com/in"


@pytest.fixture
def repo() -> FakeSubscriptions:
    return FakeSubscriptions()


@pytest.fixture
def service(repo: FakeSubscriptions) -> WebhookService:
    events = FakeEventOwners(Event(EVENT, OWNER.id), Event(DRAFT, OWNER.id, "draft"))
    return WebhookService(repo, events, production=False)


def body(event_id: str | None = None, **kw: object) -> WebhookCreate:
    return WebhookCreate.model_validate({"url": URL, "event_id": event_id, **kw})


async def test_create_shows_the_secret_once_and_stores_the_kinds_sorted(
    service: WebhookService, repo: FakeSubscriptions
) -> None:
    made = await service.create(OWNER, body(EVENT, events=["order.refunded", "order.confirmed"]))
    assert made.secret and made.events == ["order.confirmed", "order.refunded"]
    stored = await repo.get(made.id)
    assert stored is not None and stored["owner_id"] == OWNER.id and stored["secret"] == made.secret
    read = await service.get(OWNER, made.id)
    assert "secret" not in read.model_dump()


async def test_only_who_manages_the_event_subscribes_to_it(service: WebhookService) -> None:
    with pytest.raises(Forbidden):
        await service.create(OTHER, body(EVENT))
    with pytest.raises(NotFound):  # someone else's draft does not exist for them
        await service.create(OTHER, body(DRAFT))
    with pytest.raises(NotFound):
        await service.create(OWNER, body("c" * 24))
    assert (await service.create(ADMIN, body(EVENT))).event_id == EVENT
    assert (await service.create(OWNER, body(DRAFT))).event_id == DRAFT


async def test_an_unsafe_url_is_refused_before_any_lookup(repo: FakeSubscriptions) -> None:
    service = WebhookService(repo, FakeEventOwners(), production=True)
    with pytest.raises(Invalid) as refused:
        await service.create(OWNER, WebhookCreate.model_validate({"url": "http://127.0.0.1:9/x"}))
    assert refused.value.code == "unsafe_url" and repo.subscriptions == {}


async def test_organiser_permissions_decide_when_present(repo: FakeSubscriptions) -> None:
    class TeamOf:
        async def can(self, user: Principal, event: object, permission: str) -> bool:
            return user.id == OTHER.id and permission == "manage_events"

    events = FakeEventOwners(Event(EVENT, OWNER.id))
    service = WebhookService(repo, events, production=False, access=TeamOf())
    assert (await service.create(OTHER, body(EVENT))).event_id == EVENT
    with pytest.raises(Forbidden):  # the access check alone decides, even for the owner
        await service.create(OWNER, body(EVENT))


async def test_another_organisers_subscription_is_not_found(service: WebhookService) -> None:
    made = await service.create(OWNER, body())
    for call in (service.get, service.delete):
        with pytest.raises(NotFound):
            await call(OTHER, made.id)
    with pytest.raises(NotFound):
        await service.deliveries(OTHER, made.id, 10, None)
    with pytest.raises(NotFound):
        await service.get(OWNER, "not-an-id")
    assert (await service.get(ADMIN, made.id)).id == made.id


async def test_delete_keeps_the_document_but_hides_it(
    service: WebhookService, repo: FakeSubscriptions
) -> None:
    made = await service.create(OWNER, body())
    await service.delete(OWNER, made.id)
    with pytest.raises(NotFound):
        await service.get(OWNER, made.id)
    with pytest.raises(NotFound):  # a second delete: gone already
        await service.delete(OWNER, made.id)
    assert [d["active"] for d in repo.subscriptions.values()] == [False]
    assert (await service.list(OWNER, 10, None)).items == []


async def test_list_is_the_callers_own_newest_first_in_pages(service: WebhookService) -> None:
    mine = [(await service.create(OWNER, body())).id for _ in range(5)]
    await service.create(OTHER, body())
    first = await service.list(OWNER, 2, None)
    assert [i.id for i in first.items] == mine[::-1][:2] and first.next_cursor
    second = await service.list(OWNER, 2, first.next_cursor)
    last = await service.list(OWNER, 2, second.next_cursor)
    assert [i.id for i in second.items + last.items] == mine[::-1][2:]
    assert last.next_cursor is None


async def test_deliveries_page_of_one_subscription(
    service: WebhookService, repo: FakeSubscriptions
) -> None:
    made = await service.create(OWNER, body())
    sub = (await repo.get(made.id)) or {}
    for attempt in (1, 2, 3):
        await repo.record(
            {"subscription_id": sub["_id"], "message_id": "m1", "kind": "order.confirmed",
             "attempt": attempt, "ok": attempt == 3, "latency_ms": 1.0}
        )  # fmt: skip
    page = await service.deliveries(OWNER, made.id, 2, None)
    assert [d.attempt for d in page.items] == [3, 2] and page.next_cursor
    rest = await service.deliveries(OWNER, made.id, 2, page.next_cursor)
    assert [d.attempt for d in rest.items] == [1] and rest.next_cursor is None
