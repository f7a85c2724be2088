"""Typed domain errors of the inventory.

Every error carries a stable ``code`` (the API maps it to an RFC 9457 problem) and
keeps its constructor arguments in ``args`` so it pickles intact: Ray re-raises
actor errors on the caller's side by pickling them.
"""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 seat``, ``2 seats``, ``0 places``: a count in words people read."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


class InventoryError(Exception):
    """Base of every error the inventory raises; nothing was changed when raised."""

    code = "inventory_error"
    retryable = False

    def __init__(self, detail: str, *args: object) -> None:
        super().__init__(detail, *args)
        self.detail = detail


class InvalidConfigurationError(InventoryError, ValueError):
    """The venue or the sale terms are malformed."""

    code = "invalid_configuration"


class InvalidSeatError(InventoryError):
    """A seat id does not exist in the venue, is malformed or repeated."""

    code = "invalid_seat"

    def __init__(self, detail: str, seats: tuple[str, ...] = ()) -> None:
        super().__init__(detail, tuple(seats))
        self.seats = tuple(seats)


class InvalidAreaError(InventoryError):
    """A section or general-admission area name does not exist."""

    code = "invalid_area"

    def __init__(self, detail: str, area: str = "") -> None:
        super().__init__(detail, area)
        self.area = area


class InvalidQuantityError(InventoryError):
    """A requested quantity is not a positive whole number."""

    code = "invalid_quantity"


class SeatUnavailableError(InventoryError):
    """Some of the requested seats are held or sold; ``seats`` names them."""

    code = "seat_unavailable"

    def __init__(self, detail: str, seats: tuple[str, ...] = ()) -> None:
        super().__init__(detail, tuple(seats))
        self.seats = tuple(seats)


class SoldOutError(InventoryError):
    """Not enough places left in the section or area; ``available`` says how many."""

    code = "sold_out"

    def __init__(self, detail: str, available: int = 0) -> None:
        super().__init__(detail, available)
        self.available = available


class LimitExceededError(InventoryError):
    """The customer would hold or own more than the event's per-customer limit."""

    code = "limit_exceeded"

    def __init__(self, detail: str, limit: int = 0, current: int = 0) -> None:
        super().__init__(detail, limit, current)
        self.limit = limit
        self.current = current


class HoldNotFoundError(InventoryError):
    """No such hold for this customer (never existed, released or returned)."""

    code = "hold_not_found"


class HoldExpiredError(InventoryError):
    """The hold's deadline has passed; its seats are (or are about to be) released."""

    code = "hold_expired"


class HoldAlreadySoldError(InventoryError):
    """The hold was confirmed with another payment reference, or cannot be released."""

    code = "hold_already_sold"


class IdempotencyKeyReusedError(InventoryError):
    """The idempotency key was first used for a different command."""

    code = "idempotency_key_reused"
