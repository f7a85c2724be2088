"""Every typed error of the inventory, raised by the command that should raise it."""

from __future__ import annotations

import pickle

import pytest

from engine import (
    ConfirmHold,
    ExpireHolds,
    HoldAlreadySoldError,
    HoldArea,
    HoldBestAvailable,
    HoldExpiredError,
    HoldNotFoundError,
    HoldSeats,
    IdempotencyKeyReusedError,
    InvalidAreaError,
    InvalidQuantityError,
    InvalidSeatError,
    LimitExceededError,
    ReleaseHold,
    ReturnSale,
    SeatUnavailableError,
    SoldOutError,
)
from tests.unit.engine_helpers import inventory

NOW = 1_000.0


@pytest.fixture
def inv():
    return inventory({"A": [4, 4]}, {"FLOOR": 3}, limit=4, ttl=60)


def hold(inv, *seats: str, customer: str = "ann", key: str | None = None) -> int:
    return inv.handle(HoldSeats(customer, seats, key), NOW)[0].hold_id


def test_seat_unavailable_names_the_taken_seats(inv) -> None:
    hold(inv, "A-1-1", "A-1-2")
    with pytest.raises(SeatUnavailableError) as err:
        hold(inv, "A-1-2", "A-1-3", "A-1-1", customer="bob")
    assert err.value.seats == ("A-1-2", "A-1-1")
    assert inv.held == 2


@pytest.mark.parametrize(
    "seat",
    [
        "A-1-5",
        "A-3-1",
        "B-1-1",
        "A-1-0",
        "A-1-01",
        "A-1-+1",
        "A-1- 1",
        "A-1-\u0661",  # an Arabic-Indic digit one
        "A1",
        "",
        "A-1-1-1",
    ],
)
def test_invalid_seat_ids(inv, seat: str) -> None:
    with pytest.raises(InvalidSeatError) as err:
        hold(inv, seat)
    assert err.value.seats == (seat,)


def test_non_string_seat_is_invalid(inv) -> None:
    with pytest.raises(InvalidSeatError):
        inv.handle(HoldSeats("ann", (12,)), NOW)  # type: ignore[arg-type]


def test_repeated_seat_is_invalid(inv) -> None:
    with pytest.raises(InvalidSeatError) as err:
        hold(inv, "A-1-1", "A-1-1")
    assert err.value.seats == ("A-1-1",)


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2"])
def test_invalid_quantity(inv, quantity: object) -> None:
    with pytest.raises(InvalidQuantityError):
        inv.handle(HoldArea("ann", "FLOOR", quantity), NOW)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantityError):
        inv.handle(HoldBestAvailable("ann", "A", quantity), NOW)  # type: ignore[arg-type]


def test_empty_seat_list_is_an_invalid_quantity(inv) -> None:
    with pytest.raises(InvalidQuantityError):
        hold(inv)


def test_unknown_area_and_section(inv) -> None:
    with pytest.raises(InvalidAreaError) as err:
        inv.handle(HoldArea("ann", "BALCONY", 1), NOW)
    assert err.value.area == "BALCONY"
    with pytest.raises(InvalidAreaError):
        inv.handle(HoldBestAvailable("ann", "FLOOR", 1), NOW)  # an area is not a section
    with pytest.raises(InvalidAreaError):
        inv.handle(HoldArea("ann", "A", 1), NOW)  # a section is not an area


def test_area_sold_out(inv) -> None:
    inv.handle(HoldArea("ann", "FLOOR", 2), NOW)
    with pytest.raises(SoldOutError) as err:
        inv.handle(HoldArea("bob", "FLOOR", 2), NOW)
    assert err.value.available == 1


def test_limit_counts_holds_and_purchases(inv) -> None:
    first = hold(inv, "A-1-1", "A-1-2")
    inv.handle(ConfirmHold(first, "pi_1"), NOW)
    inv.handle(HoldArea("ann", "FLOOR", 1), NOW)
    with pytest.raises(LimitExceededError) as err:
        hold(inv, "A-2-1", "A-2-2")
    assert (err.value.limit, err.value.current) == (4, 3)
    hold(inv, "A-2-1", customer="bob")  # others are not affected


def test_a_malformed_hold_is_invalid_before_it_is_over_the_limit(inv) -> None:
    # Validate, then count: a request that names nothing is a 422, not "over the limit".
    with pytest.raises(InvalidAreaError):
        inv.handle(HoldBestAvailable("ann", "NOPE", 9), NOW)
    with pytest.raises(InvalidAreaError):
        inv.handle(HoldArea("ann", "NOPE", 9), NOW)
    with pytest.raises(InvalidSeatError):
        hold(inv, "A-1-1", "A-1-2", "A-1-3", "Z-9-9", "A-2-1")
    with pytest.raises(InvalidSeatError):
        hold(inv, *["A-1-1"] * 5)  # the same seat five times, limit 4
    with pytest.raises(LimitExceededError):
        inv.handle(HoldArea("ann", "FLOOR", 5), NOW)  # valid, and over the limit
    with pytest.raises(LimitExceededError):
        inv.handle(HoldBestAvailable("ann", "A", 5), NOW)


def test_hold_not_found_and_not_yours(inv) -> None:
    with pytest.raises(HoldNotFoundError):
        inv.handle(ConfirmHold(99, "pi_1"), NOW)
    hold_id = hold(inv, "A-1-1")
    with pytest.raises(HoldNotFoundError):
        inv.handle(ReleaseHold(hold_id, customer="mallory"), NOW)
    with pytest.raises(HoldNotFoundError):
        inv.handle(ReturnSale(hold_id), NOW)  # not sold
    inv.handle(ReleaseHold(hold_id, customer="ann"), NOW)
    with pytest.raises(HoldNotFoundError):
        inv.handle(ConfirmHold(hold_id, "pi_1"), NOW)


def test_hold_expired_before_and_after_the_expiry_command(inv) -> None:
    hold_id = hold(inv, "A-1-1")
    with pytest.raises(HoldExpiredError):
        inv.handle(ConfirmHold(hold_id, "pi_1"), NOW + 60)
    assert inv.handle(ExpireHolds(), NOW + 60)[1][0].hold_id == hold_id
    with pytest.raises(HoldExpiredError):
        inv.handle(ConfirmHold(hold_id, "pi_1"), NOW + 61)
    with pytest.raises(HoldNotFoundError):  # expiry says nothing to strangers
        inv.handle(ConfirmHold(hold_id, "pi_1", customer="mallory"), NOW + 61)


def test_sold_hold_cannot_be_released_or_paid_twice(inv) -> None:
    hold_id = hold(inv, "A-1-1")
    first = inv.handle(ConfirmHold(hold_id, "pi_1"), NOW)[0]
    again = inv.handle(ConfirmHold(hold_id, "pi_1"), NOW + 1)
    assert again[0] == first and again[1] == ()
    with pytest.raises(HoldAlreadySoldError):
        inv.handle(ConfirmHold(hold_id, "pi_2"), NOW)
    with pytest.raises(HoldAlreadySoldError):
        inv.handle(ReleaseHold(hold_id), NOW)


def test_idempotency_key_replays_and_refuses_reuse(inv) -> None:
    first = inv.handle(HoldSeats("ann", ("A-1-1",), "k"), NOW)
    again = inv.handle(HoldSeats("ann", ("A-1-1",), "k"), NOW + 5)
    assert again[0] == first[0] and again[1] == ()
    assert inv.held == 1
    with pytest.raises(IdempotencyKeyReusedError):
        inv.handle(HoldSeats("ann", ("A-1-2",), "k"), NOW)


@pytest.mark.parametrize(
    "error",
    [
        SeatUnavailableError("x", ("A-1-1",)),
        SoldOutError("x", 3),
        LimitExceededError("x", 6, 4),
        InvalidSeatError("x", ("Z",)),
        InvalidAreaError("x", "Z"),
        HoldNotFoundError("x"),
    ],
)
def test_errors_survive_pickling(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args and vars(copy) == vars(error)
