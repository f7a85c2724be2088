"""Signing organiser webhooks, and the helper a receiver uses to verify them.

Every delivery carries ``X-Ticketing-Signature: t=<unix seconds>,v1=<hex>`` where the
hex is HMAC-SHA256, keyed with the subscription's secret, over ``"<t>.<raw body>"``.
The timestamp is inside the MAC, so a captured delivery replayed later fails the
tolerance check. A receiver verifies the raw bytes it received, before parsing them::

    from contexts.webhooks.signing import verify
    if not verify(secret, request.headers["X-Ticketing-Signature"], raw_body):
        return 400

This module has no dependency beyond the standard library: receivers may copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Ticketing-Signature"
SCHEME = "v1"
TOLERANCE_S = 300  # five minutes, as Stripe's: clocks drift, replays should not pass


def new_secret() -> str:
    """A fresh subscription secret (shown once, at creation)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (now by default)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},{SCHEME}={_mac(secret, stamp, body)}"


def verify(
    secret: str, header: str, body: bytes, tolerance_s: int = TOLERANCE_S, now: float | None = None
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` within ``tolerance_s`` of now.

    Several ``v1=`` entries may appear (during a secret rotation): any match passes.
    The comparison is constant-time.
    """
    stamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            stamp = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if stamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_s:
        return False
    expected = _mac(secret, stamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
