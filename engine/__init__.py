"""The pure reservation engine: venues, the event inventory aggregate, its commands,
events, errors, snapshots and read models.

No I/O and no clock of its own (time is an argument); nothing here imports ray,
fastapi, pymongo, aio_pika, stripe, httpx or opentelemetry (a test enforces it).
"""

from engine.commands import (
    Command,
    ConfirmHold,
    ExpireHolds,
    ExtendHold,
    HoldArea,
    HoldBestAvailable,
    HoldSeats,
    ReleaseHold,
    ReturnSale,
)
from engine.errors import (
    HoldAlreadySoldError,
    HoldExpiredError,
    HoldNotFoundError,
    IdempotencyKeyReusedError,
    InvalidAreaError,
    InvalidConfigurationError,
    InvalidQuantityError,
    InvalidSeatError,
    InventoryError,
    LimitExceededError,
    SeatUnavailableError,
    SoldOutError,
)
from engine.events import (
    DomainEvent,
    HoldConfirmed,
    HoldExpired,
    HoldExtended,
    HoldReleased,
    SaleReturned,
    SeatsHeld,
    event_from_dict,
    event_to_dict,
)
from engine.inventory import Inventory, Outcome
from engine.promos import AccessCodeRequiredError, Promo, PromoExhaustedError
from engine.snapshot import restore, snapshot
from engine.state import SequenceGapError
from engine.venue import Area, PriceTier, Row, SaleTerms, Section, Venue

__all__ = [
    "AccessCodeRequiredError",
    "Area",
    "Command",
    "ConfirmHold",
    "DomainEvent",
    "ExpireHolds",
    "ExtendHold",
    "HoldAlreadySoldError",
    "HoldArea",
    "HoldBestAvailable",
    "HoldConfirmed",
    "HoldExpired",
    "HoldExpiredError",
    "HoldExtended",
    "HoldNotFoundError",
    "HoldReleased",
    "HoldSeats",
    "IdempotencyKeyReusedError",
    "InvalidAreaError",
    "InvalidConfigurationError",
    "InvalidQuantityError",
    "InvalidSeatError",
    "Inventory",
    "InventoryError",
    "LimitExceededError",
    "Outcome",
    "PriceTier",
    "Promo",
    "PromoExhaustedError",
    "ReleaseHold",
    "ReturnSale",
    "Row",
    "SaleReturned",
    "SaleTerms",
    "SeatUnavailableError",
    "SeatsHeld",
    "Section",
    "SequenceGapError",
    "SoldOutError",
    "Venue",
    "event_from_dict",
    "event_to_dict",
    "restore",
    "snapshot",
]
