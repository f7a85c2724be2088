"""Announcing a check-in on the bus (``ticket.checked_in``), for organiser webhooks.

Published after the scan is recorded, with a fixed message id per ticket, so
consumers drop a duplicate. A broker outage must not turn a successful scan into an
error at the door: the publish is then skipped and logged (the scan stands; the
webhook for it is what is lost).
"""

from __future__ import annotations

import logging

from contexts.shared.messages import TicketCheckedIn
from contexts.shared.publisher import BrokerUnavailable, Publisher, send
from contexts.tickets.issue import split_ticket_id
from contexts.tickets.schemas import CheckInPublic

log = logging.getLogger(__name__)


def checked_in(scan: CheckInPublic) -> TicketCheckedIn:
    """The ``ticket.checked_in`` message of a recorded scan."""
    parts = split_ticket_id(scan.ticket_id)
    return TicketCheckedIn(
        ticket_id=scan.ticket_id,
        order_id=parts[0] if parts else None,
        event_id=scan.event_id,
        seat=scan.seat,
        area=scan.area,
        checked_in_at=scan.checked_in_at.isoformat(),
    )


async def announce_check_in(publisher: Publisher | None, scan: CheckInPublic) -> None:
    """Publish ``ticket.checked_in`` for a recorded scan; never raises for the broker."""
    if publisher is None:
        return
    try:
        await send(publisher, checked_in(scan), f"{scan.ticket_id}:checked_in")
    except BrokerUnavailable:
        log.warning("check-in not announced: broker unavailable", extra={"ticket": scan.ticket_id})
