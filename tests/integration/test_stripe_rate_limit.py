"""Stripe's rate limit, for real: a proxy in front of localstripe answers 429 (Stripe's
own error body) beyond a number of requests per second, and the gateway (the real
SDK) backs off and gets every payment through; paced to a lower rate, it sees none."""

from __future__ import annotations

import asyncio
import time

import httpx
from aiohttp import web

from contexts.orders.stripe_gateway import StripeGateway
from contexts.orders.stripe_pacing import THROTTLED
from tests.faults.stripe_proxy import ForwardingProxy
from tests.integration.payments_support import localstripe

__all__ = ["localstripe"]
HOP = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


class RateLimitedStripe(ForwardingProxy):
    """``async with RateLimitedStripe(upstream, per_s) as url``: at most ``per_s``
    requests per clock second reach Stripe; the others get a 429 and do nothing."""

    def __init__(self, upstream: str, per_s: int) -> None:
        self.upstream, self.per_s = upstream, per_s
        self.window, self.in_window, self.passed, self.refused = 0, 0, 0, 0
        self._http = httpx.AsyncClient(base_url=upstream, timeout=30)
        self._runner: web.AppRunner | None = None

    async def forward(self, request: web.Request) -> web.Response:
        second = int(time.monotonic())
        if second != self.window:
            self.window, self.in_window = second, 0
        self.in_window += 1
        if self.in_window > self.per_s:
            self.refused += 1
            error = {
                "error": {
                    "type": "invalid_request_error",
                    "code": "rate_limit",
                    "message": "Too many requests hit the API too quickly.",
                }
            }
            return web.json_response(error, status=429)
        self.passed += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        answer = await self._http.request(
            request.method, request.path_qs, headers=headers, content=await request.read()
        )
        kept = {"Content-Type": answer.headers.get("content-type", "application/json")}
        return web.Response(status=answer.status_code, body=answer.content, headers=kept)


async def _pay_all(gateway: StripeGateway, n: int) -> list[str]:
    async def one(k: int) -> str:
        intent = await gateway.create_intent(f"o{k}", f"r{k}", 1000, "EUR", "pm_card_visa")
        return (await gateway.confirm(intent)).status

    return await asyncio.gather(*(one(k) for k in range(n)))


async def test_429s_are_backed_off_and_no_payment_fails_for_them(localstripe: str) -> None:
    proxy = RateLimitedStripe(localstripe, per_s=5)
    async with proxy as url:
        gateway = StripeGateway("sk_test_local", url, "whsec_x", max_rps=0)  # unpaced
        before = THROTTLED._value.get()
        try:
            statuses = await _pay_all(gateway, 12)  # 24 calls at once against 5/s
        finally:
            await gateway.close()
    assert statuses == ["succeeded"] * 12
    assert proxy.refused > 0 and THROTTLED._value.get() - before == proxy.refused
    assert proxy.passed == 24  # each call reached Stripe once: nothing done twice


async def test_paced_below_the_limit_stripe_never_says_429(localstripe: str) -> None:
    # Paced at 4/s against a limit of 20 per clock second: a wide margin, so a loaded
    # machine's late wake-ups cannot bunch enough calls into one second.
    proxy = RateLimitedStripe(localstripe, per_s=20)
    async with proxy as url:
        gateway = StripeGateway("sk_test_local", url, "whsec_x", max_rps=4)
        try:
            statuses = await _pay_all(gateway, 6)  # 12 calls, all asked for at once
        finally:
            await gateway.close()
    assert statuses == ["succeeded"] * 6
    assert (proxy.refused, proxy.passed) == (0, 12)
    assert dict(gateway.calls) == {"create": 6, "confirm": 6}
