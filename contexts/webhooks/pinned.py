"""Connections that go only where the SSRF guard allowed: resolve, check, connect to
the address checked.

httpcore (httpx's transport layer) asks its network backend for a TCP connection to
``(host, port)``; ``GuardedBackend`` resolves the host itself (through a ``Resolver``:
the system's, or one a test gives), refuses the connection unless every address is
public (``contexts.webhooks.urls.is_public``), and connects to one of those same
addresses. There is no second resolution for DNS to answer differently (rebinding),
and no parser differential: what is checked is the number the socket connects to.
TLS is layered by httpcore on top of this stream with the URL's host name, so SNI
and certificate verification are those of the name, as for any request.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore

from contexts.webhooks.urls import Address, is_public, literal_address


class UnsafeAddress(httpcore.ConnectError):
    """The host resolved to an address webhooks are not sent to (or to none)."""


class Resolver(Protocol):
    """Host name to addresses (a port is given for ``getaddrinfo``'s sake)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]


async def checked_addresses(
    host: str, port: int, resolver: Resolver, allow_internal: bool
) -> list[Address]:
    """The addresses to connect to for ``host``: a literal as it is, a name resolved.
    ``UnsafeAddress`` if any is not public (unless ``allow_internal``): a name with
    one internal answer among public ones is refused, not filtered."""
    literal = literal_address(host)
    if literal is not None:
        found: list[Address] = [literal]
    else:
        try:
            answers = await resolver.resolve(host, port)
        except OSError as exc:
            raise UnsafeAddress(f"cannot resolve {host}: {exc}") from None
        found = [a for a in (literal_address(r) for r in answers) if a is not None]
    if not found:
        raise UnsafeAddress(f"{host} resolves to no address")
    if not allow_internal and not all(is_public(a) for a in found):
        raise UnsafeAddress(f"{host} resolves to a non-public address")
    return list(dict.fromkeys(found))  # once each, in the resolver's order


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with the guard in ``connect_tcp``."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        allow_internal: bool = False,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.resolver = resolver or SystemResolver()
        self.allow_internal = allow_internal
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(host, port, self.resolver, self.allow_internal)
        failure: Exception | None = None
        for address in addresses:  # the first that answers, as a client would
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeAddress("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
