"""Which URLs a webhook may target: the SSRF guard, applied at subscription time.

A webhook makes our servers send requests to an address an organiser chose, so that
address must not be one of ours. Only ``http``/``https`` with a host are accepted;
in production, loopback, private, link-local and reserved addresses (and names that
are obviously local) are refused too. Outside production localhost is allowed: tests
and developers run their receivers there. Names are not resolved here (DNS can change
between this check and a delivery); the sender does not follow redirects either.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


class UnsafeUrl(ValueError):
    """The URL may not be a webhook target (the message says why)."""


def _is_internal_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global or address.is_multicast


def check_url(url: str, production: bool) -> str:
    """``url`` if it may receive webhooks; ``UnsafeUrl`` otherwise."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise UnsafeUrl(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs receive webhooks")
    if not host:
        raise UnsafeUrl("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not accepted: verify the signature instead")
    if production:
        local = host in LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal"))
        if local or _is_internal_ip(host):
            raise UnsafeUrl("internal and loopback addresses do not receive webhooks")
    return url
