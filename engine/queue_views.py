"""Read models of the waiting room: a buyer's place and the organiser's summary.

Plain dicts (they cross Ray to the API); times are epoch seconds. Derived, never
stored: a waiting buyer's position is its line index minus the admitted prefix.
"""

from __future__ import annotations

from typing import Any

from engine.queue_state import RECENT_S, QueueState


def admission_rate(room: QueueState, now: float) -> float | None:
    """Admissions per second: as observed over the last minute, else as configured."""
    if room.opened_at is not None:
        recent = sum(n for at, n in room.recent if at >= now - RECENT_S)
        if recent:
            return recent / max(1.0, min(RECENT_S, now - room.opened_at))
    return None if room.rate is None else room.rate / 60


def place_view(room: QueueState, account: str, now: float) -> dict[str, Any] | None:
    """What ``account`` sees of its place (None: it has none).

    ``status``: pre_sale (joined before the opening: a random place is drawn then),
    queued, admitted (until ``admission_expires_at``), used, expired, sold_out or
    closed. ``position`` is 1 for the next one in, so ``position - 1`` are ahead.
    """
    index = room.place.get(account)
    if index is None:
        return None
    view: dict[str, Any] = {
        "status": "queued",
        "position": None,
        "waiting": room.waiting,
        "estimated_wait_s": None,
        "admission_expires_at": None,
        "paused": room.paused,
        "opens_at": room.opens_at,
    }
    deadline = room.admitted.get(account)
    outcome = room.outcome.get(account)
    if outcome == "used":
        view["status"] = "used"
    elif room.closed:  # everyone not through yet is told why, at once
        view["status"] = "sold_out" if room.closed == "sold_out" else "closed"
    elif outcome == "expired" or (deadline is not None and deadline <= now):
        view["status"] = "expired"
    elif deadline is not None:
        view.update(status="admitted", admission_expires_at=deadline)
    elif room.opened_at is None:
        view["status"] = "pre_sale"
    else:
        position = index - room.head + 1
        rate = admission_rate(room, now)
        view["position"] = position
        view["estimated_wait_s"] = None if rate is None else position / rate
    return view


def summary(room: QueueState, now: float) -> dict[str, Any]:
    """The organiser's view: settings and counts."""
    outcomes = list(room.outcome.values())
    return {
        "opens_at": room.opens_at,
        "opened_at": room.opened_at,
        "rate_per_minute": room.rate,
        "max_active": room.max_active,
        "admission_ttl_s": room.ttl,
        "access_list_size": None if room.access is None else len(room.access),
        "joined": len(room.place),
        "waiting": room.waiting,
        "admitted": len(room.admitted),
        "used": outcomes.count("used"),
        "expired": outcomes.count("expired"),
        "admissions_per_s": admission_rate(room, now),
        "paused": room.paused,
        "closed": room.closed,
    }
