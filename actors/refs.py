"""References to holds that outlive a request: what a reservation id encodes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine import HoldNotFoundError, SeatsHeld

_INT = re.compile(r"-1|0|[1-9][0-9]{0,17}")


def shard_stream(event_id: str, shard: int) -> str:
    """The stream (and actor name suffix) of one shard of an event."""
    return f"{event_id}#{shard}"


@dataclass(frozen=True, slots=True)
class HoldRef:
    """Where a hold lives: its event, shard (-1 if unsharded), id and quota grant."""

    event_id: str
    shard: int
    hold_id: int
    grant_id: int = 0

    @property
    def stream(self) -> str:
        return self.event_id if self.shard < 0 else shard_stream(self.event_id, self.shard)

    def token(self) -> str:
        return f"{self.event_id}.{self.shard}.{self.hold_id}.{self.grant_id}"

    @classmethod
    def parse(cls, token: str) -> HoldRef:
        """The reference a token names; HoldNotFoundError if it is not one."""
        parts = token.split(".") if isinstance(token, str) else []
        # Canonical numbers only, so one reservation has exactly one id.
        if len(parts) != 4 or not all(_INT.fullmatch(p) for p in parts[1:]):
            raise HoldNotFoundError(f"no reservation {token!r}")
        try:
            event_id, shard, hold_id, grant_id = parts[0], *map(int, parts[1:])
        except ValueError:
            raise HoldNotFoundError(f"no reservation {token!r}") from None
        if len(parts) != 4 or not event_id or shard < -1 or hold_id < 1 or grant_id < 0:
            raise HoldNotFoundError(f"no reservation {token!r}")
        return cls(event_id, shard, hold_id, grant_id)


@dataclass(frozen=True, slots=True)
class Held:
    """A successful hold: where it lives, the engine's event, and its seat ids."""

    ref: HoldRef
    event: SeatsHeld
    seat_ids: list[str]
    area: str | None
    currency: str
