"""The core's refusals: a stable machine ``code``, a ``kind`` and a detail, no HTTP.

A use case refuses by raising one of these; the faces translate. ``api.problems`` alone
maps a ``kind`` to an HTTP status, title and headers (RFC 9457 problem details); a worker
reads ``code`` and ``detail`` (and ``kind`` to tell a refusal worth retrying from one
that is not). Extras (``emails``, ``limit``...) are facts of the refusal and become
members of the problem body.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

Kind = Literal[
    "malformed",  # unreadable or unverifiable input (a forged webhook signature)
    "invalid",  # well-formed but breaks a rule (an unknown venue, a bad schedule)
    "unauthorized",  # who is asking is unknown or not proven (no, bad or expired token)
    "forbidden",  # known caller, not allowed
    "not_found",
    "conflict",  # the current state refuses it (not a draft, already sold)
    "rate_limited",  # too many attempts; ``retry_after_s`` says when to come back
    "unavailable",  # a dependency is down; ``retry_after_s`` says when to retry
]
KINDS: frozenset[str] = frozenset(get_args(Kind))


class Refusal(Exception):
    """A refusal of the core with a stable ``code`` (per class, or per raise)."""

    kind: ClassVar[Kind] = "malformed"
    code: str = "bad_request"
    # Seconds after which trying again may succeed (rate limits, a dependency down).
    retry_after_s: float | None = None

    # ``extra``: members added to the problem body, any JSON value (Any, not object: the
    # subclasses pass it on, and an object could not be checked against ``code``).
    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        if code is not None:
            self.code = code  # a more specific stable code than the class default
        self.detail = detail
        self.extra = extra


class NotFound(Refusal):
    kind, code = "not_found", "not_found"


class Unauthorized(Refusal):
    kind, code = "unauthorized", "unauthorized"

    def __init__(self, detail: str = "Authentication required.", **extra: Any) -> None:
        super().__init__(detail, **extra)


class Forbidden(Refusal):
    kind, code = "forbidden", "forbidden"


class Conflict(Refusal):
    kind, code = "conflict", "conflict"


class Invalid(Refusal):
    kind, code = "invalid", "invalid"


class Malformed(Refusal):
    kind, code = "malformed", "bad_request"


class Unavailable(Refusal):
    """A dependency is down or refused us; the caller may retry after ``retry_after_s``."""

    kind, code = "unavailable", "unavailable"

    def __init__(self, detail: str, *, retry_after_s: float | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.retry_after_s = retry_after_s


class RateLimited(Refusal):
    """Over a rate limit (the shared limiter's buckets); retry in ``retry_after_s``."""

    kind, code = "rate_limited", "rate_limited"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s
