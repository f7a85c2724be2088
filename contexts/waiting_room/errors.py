"""The waiting room's refusals outside the engine, each with a stable ``code``.

The queue's own refusals (closed, not invited, impossible settings) are engine
errors; ``api.problems`` maps those with the inventory's, and these by kind.
"""

from __future__ import annotations

from contexts.shared.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized


class AdmissionRequired(Forbidden):
    """The event has a waiting room: reserving needs its admission token."""

    code = "admission_required"

    def __init__(self) -> None:
        super().__init__(
            "This event has a waiting room: join its queue and send the admission token "
            "you get when it is your turn in the X-Admission-Token header."
        )


class AdmissionExpired(Forbidden):
    """The admission token was ours, for this buyer and event, but its time is up."""

    code = "admission_expired"

    def __init__(self) -> None:
        super().__init__("Your admission has expired; its place went to the next in line.")


class AdmissionInvalid(Forbidden):
    """Forged, garbled, or issued to another buyer or for another event: one answer for
    all, so a stolen token teaches nothing."""

    code = "admission_invalid"

    def __init__(self) -> None:
        super().__init__("This admission token is not valid for you and this event.")


class InvalidQueueToken(Unauthorized):
    code = "invalid_queue_token"

    def __init__(self) -> None:
        super().__init__("The queue token is invalid or expired; join the queue again.")


class NoWaitingRoom(Conflict):
    """The event has no waiting room (never set up, or turned off)."""

    code = "no_waiting_room"


class NotInQueue(NotFound):
    code = "not_in_queue"

    def __init__(self) -> None:
        super().__init__("You have no place in this queue: join it first.")


class UnknownAccounts(Invalid):
    """Access-list emails that belong to no account (``emails`` names them)."""

    code = "unknown_accounts"
