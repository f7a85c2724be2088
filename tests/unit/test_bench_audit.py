"""The audit after a wrk run (which keeps no reservation ids): the seats the 201s
granted against the server's counts and seat map, read until they agree."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.saturation import audit_wrk


async def _serve(held: int, map_lags: int) -> TestServer:
    """An event of 10 seats with ``held`` held; the map shows one fewer for ``map_lags``
    reads (a cache catching up with requests that landed after the run)."""
    reads = {"n": 0}

    async def availability(_: web.Request) -> web.Response:
        return web.json_response({"capacity": 10, "available": 10 - held, "held": held, "sold": 0})

    async def seats(_: web.Request) -> web.Response:
        reads["n"] += 1
        shown = held - 1 if reads["n"] <= map_lags else held
        states = "H" * shown + "A" * (10 - shown)
        rows = [{"label": "1", "states": states[:5]}, {"label": "2", "states": states[5:]}]
        return web.json_response({"sections": [{"name": "S1", "rows": rows}]})

    app = web.Application()
    app.router.add_get("/v1/events/ev/availability", availability)
    app.router.add_get("/v1/events/ev/seats", seats)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_audit_waits_for_the_seat_map_to_catch_up() -> None:
    server = await _serve(held=4, map_lags=2)
    try:
        report = await audit_wrk(str(server.make_url("")).rstrip("/"), "ev", granted=4)
    finally:
        await server.close()
    assert report["ok"] and report["seats_on_map"] == 4 and report["oversold_seats"] == 0


async def test_audit_reports_seats_granted_beyond_those_taken_as_oversold() -> None:
    server = await _serve(held=4, map_lags=0)
    try:
        report = await audit_wrk(str(server.make_url("")).rstrip("/"), "ev", granted=6)
    finally:
        await server.close()
    assert not report["ok"] and report["oversold_seats"] == 2


async def test_audit_fails_when_the_map_never_agrees() -> None:
    server = await _serve(held=4, map_lags=10_000)
    try:
        url = str(server.make_url("")).rstrip("/")
        report = await audit_wrk(url, "ev", granted=3, timeout_s=0.5)
    finally:
        await server.close()
    assert not report["ok"] and report["seats_on_map"] == 3
