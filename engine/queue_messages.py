"""The waiting room's commands (imperative), events (past tense) and refusals.

Commands ask the queue (``engine.waiting_room.WaitingRoom``) to do something; events
say what happened and are the only way its state changes, so each carries what a
replay needs: ``seq``, the time ``at`` it was decided and, for the opening, the
random ``seed`` the pre-sale joiners were shuffled with. Refusals are
``InventoryError`` subclasses, so the actor core answers them like the inventory's.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InventoryError

# -- commands -----------------------------------------------------------------------


@dataclass(slots=True)
class ConfigureQueue:
    """Set (or change) how the queue opens and admits.

    ``rate_per_minute`` caps admissions (a token bucket); ``max_active`` caps the
    buyers admitted who have not reserved yet, so admission follows the inventory's
    pace. Either may be None (no such cap), not both. ``access_list`` None: anyone
    may join; otherwise only the accounts it names. ``max_unpaid`` follows checkout
    capacity: admission pauses while the inventory holds that many places unpaid
    (what payments can charge within a hold's TTL, at Stripe's rate); None: no cap.
    """

    opens_at: float
    rate_per_minute: float | None
    max_active: int | None
    admission_ttl_s: float
    access_list: tuple[str, ...] | None = None
    max_unpaid: int | None = None


@dataclass(slots=True)
class JoinQueue:
    """Take a place for ``account`` (the same place again if it has one)."""

    account: str


@dataclass(slots=True)
class AdvanceQueue:
    """Let time pass: expire unused admissions, open the queue when due (shuffling the
    pre-sale joiners with ``seed``, drawn by the caller) and admit whoever is due."""

    seed: int = 0


@dataclass(slots=True)
class UseAdmission:
    """``account`` reserved with its admission (using it twice changes nothing)."""

    account: str


@dataclass(slots=True)
class ObserveStock:
    """The inventory's counts: nothing available pauses admission, and so do as many
    places held (unpaid) as checkout can take (``max_unpaid``); nothing available and
    nothing held (all sold) closes the queue."""

    available: int
    held: int


@dataclass(slots=True)
class CloseQueue:
    """Stop the queue for good (``reason``: sold_out, disabled, cancelled)."""

    reason: str


QueueCommand = ConfigureQueue | JoinQueue | AdvanceQueue | UseAdmission | ObserveStock | CloseQueue

# -- events -------------------------------------------------------------------------


@dataclass(slots=True)
class QueueConfigured:
    seq: int
    at: float
    opens_at: float
    rate_per_minute: float | None
    max_active: int | None
    admission_ttl_s: float
    access_list: tuple[str, ...] | None = None
    max_unpaid: int | None = None  # absent from journals written before it existed

    def __post_init__(self) -> None:  # a journal gives lists back
        if self.access_list is not None:
            self.access_list = tuple(self.access_list)


@dataclass(slots=True)
class QueueJoined:
    seq: int
    at: float
    account: str


@dataclass(slots=True)
class QueueOpened:
    """The sale started: the pre-sale joiners were shuffled with ``seed``."""

    seq: int
    at: float
    seed: int


@dataclass(slots=True)
class Admitted:
    """The ``count`` buyers from line index ``first`` on were let in until ``expires_at``."""

    seq: int
    at: float
    first: int
    count: int
    expires_at: float


@dataclass(slots=True)
class AdmissionUsed:
    seq: int
    at: float
    account: str


@dataclass(slots=True)
class AdmissionsExpired:
    seq: int
    at: float
    accounts: tuple[str, ...]

    def __post_init__(self) -> None:
        self.accounts = tuple(self.accounts)


@dataclass(slots=True)
class AdmissionPaused:
    """Admission stopped (``paused``: nothing left to hold) or resumed."""

    seq: int
    at: float
    paused: bool


@dataclass(slots=True)
class QueueClosed:
    seq: int
    at: float
    reason: str


QueueEvent = (
    QueueConfigured
    | QueueJoined
    | QueueOpened
    | Admitted
    | AdmissionUsed
    | AdmissionsExpired
    | AdmissionPaused
    | QueueClosed
)
QUEUE_EVENTS = (
    QueueConfigured,
    QueueJoined,
    QueueOpened,
    Admitted,
    AdmissionUsed,
    AdmissionsExpired,
    AdmissionPaused,
    QueueClosed,
)

# -- refusals -----------------------------------------------------------------------


class QueueClosedError(InventoryError):
    """The queue is closed (``reason``: sold_out, disabled, cancelled); nobody joins."""

    code = "queue_closed"

    def __init__(self, detail: str, reason: str = "closed") -> None:
        super().__init__(detail, reason)
        self.reason = reason


class NotInvitedError(InventoryError):
    """The queue has an access list and the account is not on it."""

    code = "not_invited"


class InvalidQueueConfigError(InventoryError):
    """A rate, cap or lifetime that cannot work."""

    code = "invalid_queue_config"
