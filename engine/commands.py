"""Commands: what a caller asks the inventory to do (imperative names).

Every command may carry an idempotency ``key``: the same key with the same command
returns the first answer and changes nothing; with a different command it is
refused. ``customer`` on confirm/release, when given, must own the hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.promos import Promo

# Plain slotted dataclasses, treated as immutable: frozen=True makes construction
# about five times slower (measured), and commands are built on the hot path.


@dataclass(slots=True)
class HoldSeats:
    """Hold explicit seats (``SECTION-ROW-NUMBER`` ids) for a customer."""

    customer: str
    seats: tuple[str, ...]
    key: str | None = None
    promo: Promo | None = None  # a promo or access code (engine/promos.py)


@dataclass(slots=True)
class HoldBestAvailable:
    """Hold ``quantity`` seats of a section, adjacent in one row if possible."""

    customer: str
    section: str
    quantity: int
    key: str | None = None
    promo: Promo | None = None  # a promo or access code (engine/promos.py)


@dataclass(slots=True)
class HoldArea:
    """Hold ``quantity`` places of a general-admission area."""

    customer: str
    area: str
    quantity: int
    key: str | None = None
    promo: Promo | None = None  # a promo or access code (engine/promos.py)


@dataclass(slots=True)
class ConfirmHold:
    """Turn a hold into a sale, recording the payment reference."""

    hold_id: int
    payment_ref: str
    customer: str | None = None
    key: str | None = None


@dataclass(slots=True)
class ExtendHold:
    """Keep a hold whose payment is in flight from expiring before the payment decides.

    Its deadline moves to ``now + seconds``, but never past the hold's first deadline
    plus ``seconds`` (held at + the event's TTL + ``seconds``): however often it is
    asked, a hold lives at most ``seconds`` longer than its TTL. A sold hold is left
    as it is; an expired one cannot be extended.
    """

    hold_id: int
    seconds: float
    customer: str | None = None
    key: str | None = None


@dataclass(slots=True)
class ReleaseHold:
    """Give a hold's seats back before it expires."""

    hold_id: int
    customer: str | None = None
    key: str | None = None


@dataclass(slots=True)
class ReturnSale:
    """Give a sold hold's seats back after a refund."""

    hold_id: int
    key: str | None = None


@dataclass(slots=True)
class ExpireHolds:
    """Expire every hold whose deadline is at or before the command's time.

    Naturally idempotent (a second run finds nothing to expire), so it takes no key.
    """

    key: ClassVar[None] = None


Command = (
    HoldSeats
    | HoldBestAvailable
    | HoldArea
    | ConfirmHold
    | ExtendHold
    | ReleaseHold
    | ReturnSale
    | ExpireHolds
)


def fingerprint(command: Command) -> str:
    """What makes two commands "the same" for an idempotency key: all but the key."""
    fields = [getattr(command, name) for name in command.__slots__ if name != "key"]
    return repr((type(command).__name__, *fields))
