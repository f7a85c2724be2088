"""A small HTTP proxy in front of localstripe that makes Stripe slow and unreliable:
every request is delayed, some a lot, and some answered with a 5xx instead. Errors are
injected before forwarding (Stripe failed and did nothing), except that some reads and
confirms are forwarded and their answer dropped: not creates, because localstripe ignores
idempotency keys, so a dropped answer to a create would be an artefact real Stripe never
shows (a confirm sent again answers "already confirmed", which the gateway reads back)."""

from __future__ import annotations

import asyncio
from types import TracebackType

import httpx
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


class ForwardingProxy:
    """An HTTP proxy to ``upstream`` on a free port: ``async with proxy as url``.
    Subclasses set ``self._http`` (a client of upstream) and define ``forward``."""

    _http: httpx.AsyncClient
    _runner: web.AppRunner | None = None

    async def forward(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self._http.aclose()


class StripeProxy(ForwardingProxy):
    """``async with StripeProxy(upstream) as url``: Stripe's API, badly, at ``url``."""

    def __init__(
        self,
        upstream: str,
        error_every: int = 4,
        lost_read_every: int = 5,
        slow_every: int = 3,
        slow_s: float = 1.5,
        delay_s: float = 0.1,
    ) -> None:
        self.upstream = upstream
        self.error_every, self.lost_read_every = error_every, lost_read_every
        self.slow_every, self.slow_s, self.delay_s = slow_every, slow_s, delay_s
        self.requests = self.errors = self.lost = self.slowed = 0
        self._runner: web.AppRunner | None = None
        self._http = httpx.AsyncClient(base_url=upstream, timeout=30)

    def injected(self) -> str:
        return (
            f"{self.requests} Stripe calls: {self.errors} 5xx, {self.lost} answers lost, "
            f"{self.slowed} slowed {self.slow_s} s"
        )

    async def forward(self, request: web.Request) -> web.Response:
        self.requests += 1
        n = self.requests
        await asyncio.sleep(self.slow_s if n % self.slow_every == 0 else self.delay_s)
        self.slowed += n % self.slow_every == 0
        if n % self.error_every == 0:
            self.errors += 1
            status = 500 if n % 2 else 503
            error = {"error": {"type": "api_error", "message": "injected by the fault proxy"}}
            return web.json_response(error, status=status)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        answer = await self._http.request(
            request.method, request.path_qs, headers=headers, content=await request.read()
        )
        repeatable = request.method == "GET" or request.path.endswith("/confirm")
        if repeatable and n % self.lost_read_every == 0:
            self.lost += 1  # Stripe did the work; its answer never arrived
            return web.json_response({"error": {"type": "api_error"}}, status=502)
        kept = {"Content-Type": answer.headers.get("content-type", "application/json")}
        return web.Response(status=answer.status_code, body=answer.content, headers=kept)
