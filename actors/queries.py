"""Reads that travel with commands: answered from the actor's state in their batch.

A direct actor call costs Ray's per-call work on both sides (~0.4 ms of the actor's
CPU, whatever it carries), while a read answered inside a batch of commands costs
microseconds. So the reads on the purchase path (a payment reads its hold once) go
to the actor through the router's coalescing, like commands: the actor answers them
in order with the commands of the same call, never journals them, and, like every
answer, returns them only once everything decided before is durable. A read in a
batch also comes after the batch's lazy expiry: a hold past its deadline reads as
expired, not as held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.views import hold_view


class Query:
    """A read the core answers from its aggregate (``answer``), with no event."""

    __slots__ = ()

    def answer(self, inv: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ReadHold(Query):
    """A live hold's view, a short record of how it ended, or None if unknown."""

    hold_id: int

    def answer(self, inv: Any) -> dict[str, Any] | None:
        hold = inv.holds.get(self.hold_id)
        if hold is not None:
            return hold_view(inv, hold)
        ended = inv.ended.get(self.hold_id)
        if ended is None:
            return None
        reason, customer = ended
        return {"hold_id": self.hold_id, "customer": customer, "status": reason}
