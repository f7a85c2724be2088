"""Per-customer limits across the shards of a very large event: the quota ledger.

When an event is split into shard inventories, no shard sees a customer's places
in the others, so the limit is kept here, in one aggregate per event: a hold
first takes a quota grant (refused beyond the limit), a sale settles it, a
release or refund returns it. An unsettled grant lapses on its own at its
deadline (the hold's deadline plus a grace), so a lost release never locks a
customer out for good, and a lapse never comes before the hold's own expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from typing import Any

from engine.errors import HoldNotFoundError, InvalidQuantityError, LimitExceededError


@dataclass(slots=True)
class GrantQuota:
    """Reserve ``quantity`` of the customer's limit until ``expires_at``."""

    customer: str
    quantity: int
    expires_at: float


@dataclass(slots=True)
class SettleQuota:
    """Make a grant permanent: its hold was sold (settling twice changes nothing)."""

    grant_id: int


@dataclass(slots=True)
class ReturnQuota:
    """Give a grant back: its hold was released, refused or refunded."""

    grant_id: int


@dataclass(slots=True)
class LapseQuotas:
    """Return every unsettled grant whose deadline has passed."""


# Events: what happened to the ledger (past tense), replayed through ``apply``.


@dataclass(slots=True)
class QuotaGranted:
    seq: int
    at: float
    grant_id: int
    customer: str
    quantity: int
    expires_at: float


@dataclass(slots=True)
class QuotaSettled:
    seq: int
    at: float
    grant_id: int


@dataclass(slots=True)
class QuotaReturned:
    seq: int
    at: float
    grant_id: int


LimitsEvent = QuotaGranted | QuotaSettled | QuotaReturned
LIMITS_EVENTS = (QuotaGranted, QuotaSettled, QuotaReturned)


class CustomerLimits:
    """How many places each customer holds or bought across all shards of an event."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seq = 0
        self.grants: dict[int, QuotaGranted] = {}
        self.settled: set[int] = set()
        self.owned: dict[str, int] = {}
        self.deadlines: list[tuple[float, int]] = []  # heap; stale entries are skipped

    def handle(self, cmd: Any, now: float) -> tuple[Any, tuple[LimitsEvent, ...]]:
        """Decide a command; raises an InventoryError having changed nothing."""
        if isinstance(cmd, LapseQuotas):
            lapsed = []
            while self.deadlines and self.deadlines[0][0] <= now:
                grant_id = heappop(self.deadlines)[1]
                if grant_id in self.grants and grant_id not in self.settled:
                    lapsed.append(self._emit(QuotaReturned(0, now, grant_id)))
            return None, tuple(lapsed)
        if isinstance(cmd, GrantQuota):
            if type(cmd.quantity) is not int or cmd.quantity < 1:
                raise InvalidQuantityError(f"quantity must be positive, not {cmd.quantity!r}")
            current = self.owned.get(cmd.customer, 0)
            if current + cmd.quantity > self.limit:
                raise LimitExceededError(
                    f"at most {self.limit} per customer; {current} already held or bought",
                    self.limit,
                    current,
                )
            event: LimitsEvent = QuotaGranted(
                0, now, self.seq + 1, cmd.customer, cmd.quantity, cmd.expires_at
            )
        else:
            if cmd.grant_id not in self.grants:
                raise HoldNotFoundError(f"no quota grant {cmd.grant_id}")
            if isinstance(cmd, SettleQuota) and cmd.grant_id in self.settled:
                return None, ()  # settling twice changes nothing
            kind = QuotaSettled if isinstance(cmd, SettleQuota) else QuotaReturned
            event = kind(0, now, cmd.grant_id)
        return event, (self._emit(event),)

    def _emit(self, event: LimitsEvent) -> LimitsEvent:
        event.seq = self.seq + 1
        self.apply(event)
        return event

    def apply(self, event: LimitsEvent) -> None:
        """Change the state by one event; replay goes through here too."""
        if event.seq != self.seq + 1:
            raise ValueError(f"event seq {event.seq} does not follow {self.seq}")
        if isinstance(event, QuotaGranted):
            self.grants[event.grant_id] = event
            heappush(self.deadlines, (event.expires_at, event.grant_id))
            self.owned[event.customer] = self.owned.get(event.customer, 0) + event.quantity
        elif isinstance(event, QuotaSettled):
            self.settled.add(event.grant_id)
        else:
            grant = self.grants.pop(event.grant_id)
            self.settled.discard(event.grant_id)
            left = self.owned[grant.customer] - grant.quantity
            if left:
                self.owned[grant.customer] = left
            else:
                del self.owned[grant.customer]
        self.seq = event.seq

    def snapshot(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "seq": self.seq,
            "settled": sorted(self.settled),
            "grants": [
                [g.seq, g.at, g.grant_id, g.customer, g.quantity, g.expires_at]
                for g in self.grants.values()
            ],
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> CustomerLimits:
        ledger = cls(data["limit"])
        for row in data["grants"]:
            grant = QuotaGranted(*row)
            ledger.grants[grant.grant_id] = grant
            ledger.owned[grant.customer] = ledger.owned.get(grant.customer, 0) + grant.quantity
        ledger.settled = set(data["settled"])
        ledger.deadlines = [(g.expires_at, g.grant_id) for g in ledger.grants.values()]
        heapify(ledger.deadlines)
        ledger.seq = data["seq"]
        return ledger
