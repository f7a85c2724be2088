"""Announcing a check-in on the bus (``ticket.checked_in``), for organiser webhooks.

Published after the scan is recorded, with a fixed message id per ticket, so
consumers drop a duplicate. A broker outage must not turn a successful scan into an
error at the door: the publish is then skipped and logged (the scan stands; the
webhook for it is what is lost).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from contexts.shared.messages import TICKET_CHECKED_IN
from contexts.shared.publisher import BrokerUnavailable
from contexts.tickets.issue import split_ticket_id
from contexts.tickets.schemas import CheckInPublic

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish(self, kind: str, body: dict[str, Any], message_id: str) -> None: ...


def checked_in_body(scan: CheckInPublic) -> dict[str, Any]:
    """The message body, as ``contexts.shared.messages`` defines it."""
    parts = split_ticket_id(scan.ticket_id)
    return {
        "ticket_id": scan.ticket_id,
        "order_id": parts[0] if parts else None,
        "event_id": scan.event_id,
        "seat": scan.seat,
        "area": scan.area,
        "checked_in_at": scan.checked_in_at.isoformat(),
    }


async def announce_check_in(publisher: Publisher | None, scan: CheckInPublic) -> None:
    """Publish ``ticket.checked_in`` for a recorded scan; never raises for the broker."""
    if publisher is None:
        return
    try:
        await publisher.publish(
            TICKET_CHECKED_IN, checked_in_body(scan), f"{scan.ticket_id}:checked_in"
        )
    except BrokerUnavailable:
        log.warning("check-in not announced: broker unavailable", extra={"ticket": scan.ticket_id})
