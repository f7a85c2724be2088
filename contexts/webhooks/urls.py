"""Which URLs and addresses a webhook may target: the SSRF guard.

A webhook makes our servers send requests to an address an organiser chose, so that
address must not be one of ours. Two checks, one rule (``is_public``):

- ``check_url``, at subscription time: only ``http``/``https`` with a host and no
  credentials; in production, a host that is an IP address in any spelling the C
  library accepts (``127.1``, ``2130706433``, ``0x7f000001``, ``017700000001``, ``0``,
  ``[::ffff:127.0.0.1]``...) must be public, and obviously local names are refused.
  It gives the organiser an early, clear answer; it cannot be the last word, because
  a name resolves to whatever its DNS says at delivery time.
- ``is_public``, at delivery (``contexts.webhooks.pinned``): every address the host
  resolves to is checked and the connection goes to the very address checked, so a
  name pointing inside, or rebinding between check and connect, gets nowhere.

Outside production, loopback is allowed: tests and developers run receivers there.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052),
# IPv4-compatible (deprecated), IPv4-translated (RFC 2765). Mapped, 6to4 and Teredo
# have their own accessors in ``ipaddress``.
_EMBEDDING = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96"))
_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


class UnsafeUrl(ValueError):
    """The URL may not be a webhook target (the message says why)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found += list(address.teredo)
    if any(address in network for network in _EMBEDDING):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: Address) -> bool:
    """May a webhook be sent to ``address``? Only to a globally reachable unicast one,
    and for an IPv6 address that embeds an IPv4 one, only if that one is too."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False  # a zone index names a local interface
        return all(is_public(v4) for v4 in _embedded_ipv4(address))
    return True


def _number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if part.startswith("0") else int(part)


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as ``inet_aton`` (what ``getaddrinfo`` does with a numeric host)
    reads it: 1 to 4 parts, each decimal, octal (``0`` prefix) or hex (``0x``), the
    last filling the remaining bytes. None if it is not such a number."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # "127.0.0.1." is the same address
    if not 1 <= len(parts) <= 4 or not all(_PART.fullmatch(p) for p in parts):
        return None
    *head, last = [_number(p) for p in parts]
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = sum(v << (24 - 8 * i) for i, v in enumerate(head)) + last
    return ipaddress.IPv4Address(number)


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, in any notation, or None for a name."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        return legacy_ipv4(bare)


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
        name = host.rstrip(".")
        address = literal_address(name)
        local = name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES) or "." not in name
        if (address is not None and not is_public(address)) or (address is None and local):
            raise UnsafeUrl("internal and loopback addresses do not receive webhooks")
    return url
