"""The catalog's refusals, each with a stable ``code`` (kinds become HTTP in api.problems)."""

from __future__ import annotations

from contexts.shared.errors import Conflict, Invalid


class VenueTooLarge(Invalid):
    code = "venue_too_large"


class UnknownVenue(Invalid):
    code = "unknown_venue"


class InvalidSchedule(Invalid):
    code = "invalid_schedule"


class NotDraft(Conflict):
    """Venue, prices, currency and limits are baked into the actor at publication."""

    code = "not_draft"


class EventCancelled(Conflict):
    code = "event_cancelled"


class ConcurrentUpdate(Conflict):
    """Another request changed the event between our read and our write."""

    code = "concurrent_update"


class NotOnSale(Conflict):
    """The event has no live inventory (a draft, or cancelled)."""

    code = "not_on_sale"
