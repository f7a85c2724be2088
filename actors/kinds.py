"""The two aggregates an actor can own: an event inventory, or a sharded event's
quota ledger. A kind tells the generic core how to build, snapshot, restore and
expire its aggregate; the actor's constructor arguments name the kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actors.journal import Recovered
from engine import ExpireHolds, Inventory, SaleTerms, Venue, event_from_dict, restore, snapshot
from engine.limits import CustomerLimits, LapseQuotas
from engine.snapshot import frozen


@dataclass(frozen=True, slots=True)
class AggregateKind:
    """How to make, persist and expire one kind of aggregate."""

    name: str
    new: Callable[[], Any]
    snapshot: Callable[[Any], dict[str, Any]]
    restore: Callable[[dict[str, Any]], Any]
    expire_command: Callable[[], Any]
    # A cheap consistent copy for ``snapshot`` to read off the event loop; None: the
    # aggregate is small, its snapshot is taken in place.
    freeze: Callable[[Any], Any] | None = None

    def rebuild(self, recovered: Recovered) -> Any:
        """The aggregate from its latest snapshot plus the events journaled after it."""
        aggregate = self.restore(recovered.snapshot) if recovered.snapshot else self.new()
        for data in recovered.events:
            aggregate.apply(event_from_dict(data))
        return aggregate


def inventory_kind(venue: Venue, terms: SaleTerms) -> AggregateKind:
    return AggregateKind(
        "inventory", lambda: Inventory(venue, terms), snapshot, restore, ExpireHolds, frozen
    )


def limits_kind(limit: int) -> AggregateKind:
    return AggregateKind(
        "limits",
        lambda: CustomerLimits(limit),
        CustomerLimits.snapshot,
        CustomerLimits.restore,
        LapseQuotas,
    )


def kind_from_spec(spec: dict[str, Any]) -> AggregateKind:
    """The kind an actor's ``spec`` (its constructor argument) describes."""
    if spec["kind"] == "inventory":
        return inventory_kind(Venue.from_dict(spec["venue"]), SaleTerms.from_dict(spec["terms"]))
    if spec["kind"] == "limits":
        return limits_kind(spec["limit"])
    raise ValueError(f"unknown aggregate kind {spec['kind']!r}")
