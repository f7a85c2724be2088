"""Ticket transfers (``contexts.tickets.transfers``) against in-memory fakes: only the
holder, the organiser's policy, the conditional move (a race has one winner), the new
QR version, and the ``ticket.transferred`` message (best effort)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contexts.shared.errors import Conflict, Forbidden, Invalid, NotFound
from contexts.shared.messages import TICKET_TRANSFERRED
from contexts.shared.principal import Principal
from contexts.tickets.transfer_schemas import TicketTransferCreate
from contexts.tickets.transfers import TransferService
from tests.unit.fakes.shared import FakePublisher
from tests.unit.fakes.tickets import (
    Account,
    FakeAccounts,
    FakeEvents,
    FakeSigner,
    FakeTicketOrders,
)

ANN = Account("u-ann", "ann@example.com")
BOB = Account("u-bob", "bob@example.com")
CAT = Account("u-cat", "cat@example.com")
TID = "o1-1"


def principal(account: Account) -> Principal:
    return Principal(account.id, frozenset({"customer"}))


def to(account: Account | str) -> TicketTransferCreate:
    email = account if isinstance(account, str) else account.email
    return TicketTransferCreate.model_validate({"to_email": email})


def world(
    event: dict[str, Any] | None = None, order: dict[str, Any] | None = None
) -> tuple[TransferService, FakeTicketOrders, FakePublisher]:
    event = {"_id": "e1", "title": "Gig", "status": "published",
             "starts_at": datetime.now(UTC) + timedelta(days=3), **(event or {})}  # fmt: skip
    ticket = {"ticket_id": TID, "seat": "A-1-1", "area": None, "qr": "q0", "checked_in_at": None}
    order = {"_id": "o1", "user_id": ANN.id, "event_id": "e1", "status": "confirmed",
             "tickets": [ticket], **(order or {})}  # fmt: skip
    orders, publisher = FakeTicketOrders(order), FakePublisher()
    service = TransferService(
        orders, orders, FakeEvents(event), FakeAccounts(ANN, BOB, CAT), FakeSigner(), publisher
    )
    return service, orders, publisher


async def test_the_holder_transfers_and_the_ticket_gets_a_new_version() -> None:
    service, orders, publisher = world()
    done = await service.transfer(principal(ANN), TID, to(BOB))
    assert (done.ticket_id, done.to_email) == (TID, BOB.email)
    _, ticket = await orders.find(TID)
    assert (ticket["owner_id"], ticket["version"]) == (BOB.id, 1)
    assert json.loads(ticket["qr"])["n"] == 1  # the door refuses the old payload
    [(kind, body, message_id)] = publisher.sent
    assert (kind, message_id) == (TICKET_TRANSFERRED, f"{TICKET_TRANSFERRED}:{TID}:1")
    assert (body["from"], body["to"], body["to_email"], body["event_title"]) == (
        ANN.id, BOB.id, BOB.email, "Gig",
    )  # fmt: skip
    # The new holder may pass it on; the old one no longer sees it.
    await service.transfer(principal(BOB), TID, to(CAT))
    with pytest.raises(NotFound):
        await service.transfer(principal(ANN), TID, to(BOB))
    assert [r["to"] for r in orders.orders["o1"]["transfers"]] == [BOB.id, CAT.id]
    assert publisher.sent[-1][2] == f"{TICKET_TRANSFERRED}:{TID}:2"


async def test_someone_else_learns_nothing() -> None:
    service, _, publisher = world()
    with pytest.raises(NotFound):
        await service.transfer(principal(BOB), TID, to(CAT))
    with pytest.raises(NotFound):
        await service.transfer(principal(ANN), "o1-9", to(CAT))
    assert publisher.sent == []


async def test_the_recipient_must_have_an_account_and_be_someone_else() -> None:
    service, _, _ = world()
    with pytest.raises(Invalid) as unknown:
        await service.transfer(principal(ANN), TID, to("nobody@example.com"))
    with pytest.raises(Invalid) as itself:
        await service.transfer(principal(ANN), TID, to(ANN))
    assert (unknown.value.code, itself.value.code) == ("unknown_recipient", "transfer_to_self")


@pytest.mark.parametrize(
    ("event", "order", "refusal", "code"),
    [
        ({"transfers": {"allowed": False}}, {}, Forbidden, "transfers_disabled"),
        ({"transfers": {"freeze_hours_before": 100}}, {}, Conflict, "transfers_frozen"),
        ({"status": "cancelled"}, {}, Conflict, "event_cancelled"),
        ({}, {"status": "refunded"}, Conflict, "ticket_void"),
    ],
)
async def test_the_policy_and_the_tickets_state_refuse(
    event: dict[str, Any], order: dict[str, Any], refusal: type[Exception], code: str
) -> None:
    service, orders, publisher = world(event, order)
    with pytest.raises(refusal) as refused:
        await service.transfer(principal(ANN), TID, to(BOB))
    assert getattr(refused.value, "code", None) == code
    assert "transfers" not in orders.orders["o1"] and publisher.sent == []


async def test_a_checked_in_ticket_stays() -> None:
    service, orders, _ = world()
    orders.orders["o1"]["tickets"][0]["checked_in_at"] = datetime.now(UTC)
    with pytest.raises(Conflict) as refused:
        await service.transfer(principal(ANN), TID, to(BOB))
    assert refused.value.code == "ticket_checked_in"


async def test_of_two_racing_transfers_one_wins() -> None:
    service, orders, publisher = world()
    stale = await orders.find(TID)  # both requests read the ticket at version 0

    async def read_before_the_other_wrote(ticket_id: str) -> Any:
        return stale

    await service.transfer(principal(ANN), TID, to(BOB))
    orders.find = read_before_the_other_wrote  # type: ignore[method-assign]
    with pytest.raises(Conflict) as lost:
        await service.transfer(principal(ANN), TID, to(CAT))
    assert lost.value.code == "ticket_changed"
    assert orders.orders["o1"]["tickets"][0]["owner_id"] == BOB.id
    assert len(publisher.sent) == 1


async def test_a_transfer_stands_when_the_broker_is_down() -> None:
    service, orders, publisher = world()
    publisher.down = True
    await service.transfer(principal(ANN), TID, to(BOB))
    _, ticket = await orders.find(TID)
    assert ticket["owner_id"] == BOB.id and publisher.sent == []
