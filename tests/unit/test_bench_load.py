"""The HTTP benchmark's load tools against a small real server: wrk's Lua script counts
answers and granted seats, the open-loop generator times from due time, the CPU
sampler finds a server's processes by session."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web

from bench import openloop, wrk
from bench.cpu import CpuSampler, components, cpu_seconds

LAYOUT = [("S1", "1", 50), ("S1", "2", 50), ("S2", "1", 50)]


class Stub:
    """A reserve endpoint that answers 201 (two seats), 409 and 429 in turn; with
    ``serial_ms`` it serves one request at a time, taking that long for each."""

    def __init__(self, serial_ms: float = 0.0) -> None:
        self.n, self.serial_ms, self.lock = 0, serial_ms, asyncio.Lock()

    async def reserve(self, request: web.Request) -> web.Response:
        await request.read()
        if self.serial_ms:
            async with self.lock:
                await asyncio.sleep(self.serial_ms / 1000)  # the server's work, in a queue
        self.n += 1
        if self.n % 3 == 1:
            return web.json_response({"seats": ["S1-1-1", "S1-1-2"], "quantity": 2}, status=201)
        if self.n % 3 == 2:
            return web.json_response({"status": 409, "code": "seat_unavailable"}, status=409)
        return web.json_response({"status": 429, "code": "limit_exceeded"}, status=429)


def serve(stub: Stub) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/tickets/reserve", stub.reserve)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


@pytest.fixture
def stub_url() -> Iterator[str]:
    yield from serve(Stub())


@pytest.mark.skipif(wrk.find_wrk() is None, reason="no wrk (make wrk)")
def test_wrk_script_counts_codes_and_granted_seats(stub_url: str) -> None:
    result = wrk.run(stub_url, wrk.lua_data("ev1", ["t1", "t2"], LAYOUT), 1, connections=4)
    assert result.requests > 30
    assert sum(result.counts.values()) == result.requests
    assert set(result.counts) <= {"201", "409:seat_unavailable", "429:limit_exceeded"}
    assert result.seats_granted == 2 * result.holds
    assert result.decided == result.requests  # all three are the sale's own answers


def test_wrk_parse_rejects_output_without_the_summary_line() -> None:
    with pytest.raises(RuntimeError, match="BENCH_JSON"):
        wrk.parse("Running 1s test @ http://x\n  2 threads and 4 connections\n")


def test_lua_data_lists_every_row_and_section() -> None:
    data = wrk.lua_data("ev1", ["a", "b"], LAYOUT)
    assert 'EVENT = "ev1"' in data
    assert 'ROWS = {{"S1","1",50},{"S1","2",50},{"S2","1",50}}' in data
    assert 'SECTIONS = {"S1","S2"}' in data
    assert 'TOKENS = {"a","b"}' in data


def test_open_loop_latency_counts_from_due_time() -> None:
    # 40 requests due within 0.4 s; the server answers one per 50 ms, so the last is
    # answered about 2 s after it was due. Timed from sending (closed loop, or a sender
    # that waits for a free connection) it would look like 50 ms.
    for url in serve(Stub(serial_ms=50)):
        plan = openloop.Plan(url, "ev1", ["t1"], LAYOUT, rate=100, seconds=0.4)
        out = openloop._process(plan, 0, 1, time.time)
    assert out.sent == 40 and sum(out.counts.values()) == 40
    assert out.counts["201"] == 14 and out.seats_granted == 28
    assert out.percentile(99) > 1_500
    assert out.max_lag_ms < 300  # the generator itself kept to its schedule


def test_open_loop_processes_share_one_schedule(stub_url: str) -> None:
    plan = openloop.Plan(stub_url, "ev1", ["t1"], LAYOUT, rate=50, seconds=0.4)
    out = openloop.run(plan, processes=2)
    assert out.sent == 20 and sum(out.counts.values()) == 20  # each sent every other one
    assert out.counts["201"] in (6, 7) and out.seats_granted == 2 * out.counts["201"]


def test_open_loop_bodies_are_seats_in_a_row_or_a_section_quantity() -> None:
    import random

    plan = openloop.Plan("http://x", "ev1", ["t"], LAYOUT, rate=1, seconds=1)
    rng = random.Random(1)
    for _ in range(200):
        body = openloop.body(plan, rng)
        if "seats" in body:
            assert 1 <= len(body["seats"]) <= 4
            assert len({s.rsplit("-", 1)[0] for s in body["seats"]}) == 1  # one row
        else:
            assert body["section"] in {"S1", "S2"} and 1 <= body["quantity"] <= 4


def _burnt(sampler: CpuSampler) -> bool:
    """Whether each component has burnt what it was told to (a total alone let the
    sampler stop while the server was still burning when the machine was loaded)."""
    seconds = sampler._read_seconds()  # the broker's CPU is in there too: not ours
    return seconds.get("api", 0.0) >= 0.45 and seconds.get("ray", 0.0) >= 0.9


def test_cpu_sampler_finds_a_server_session_and_its_children() -> None:
    # A "server" in its own session that, once told (after the first reading), starts
    # two children, one in a session of its own (as `ray start` is); each of the three
    # burns 0.5 s of CPU, then waits to be killed.
    busy = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    busy += "\ntime.sleep(60)"
    code = "import subprocess, sys\nsys.stdin.readline()\n"
    code += f"subprocess.Popen([sys.executable, '-c', {busy!r}])\n"
    code += f"subprocess.Popen([sys.executable, '-c', {busy!r}], start_new_session=True)\n{busy}"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, start_new_session=True
    )
    try:
        sampler = CpuSampler([proc.pid])
        sampler.start()
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not _burnt(sampler) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the readings until the work shows, bounded
        seconds = sampler.stop()
    finally:
        # The child in a session of its own is not in the server's group: kill it by pid.
        for pid, name in components([proc.pid]).items():
            if name != "broker" and pid != proc.pid:
                os.kill(pid, signal.SIGKILL)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(20)
    # The server process is "api"; its children, neither uvicorn workers nor actors
    # nor MongoDB, are the rest of its processes ("ray"), both found.
    assert seconds["api"] >= 0.4 and seconds["ray"] >= 0.85
    assert {k: n for k, n in sampler.processes.items() if k != "broker"} == {"api": 1, "ray": 2}
    assert sampler.wall_s > 0 and sampler.cores()["api"] > 0
    assert sampler.per_request_us(1000)["api"] >= 400
    assert cpu_seconds(os.getpid()) is not None
    assert cpu_seconds(proc.pid) is None  # reaped: gone


@pytest.mark.parametrize(
    ("cmdline", "component"),
    [
        ("/v/bin/python -c from multiprocessing.spawn import spawn_main; spawn_main()", "api"),
        ("/v/bin/ray start --block --head", "ray"),
        ("/v/bin/python -c from multiprocessing.resource_tracker import main;main(5)", "ray"),
        ("ray::InventoryActor ", "actor"),
        ("ray::InventoryActor.reserve ", "actor"),
        ("/v/bin/python -m actors.mongo_embedded --db x --port 1", "mongo"),
        ("/v/ray/core/src/ray/raylet/raylet --raylet_socket_name=x", "ray"),
        ("ray::IDLE ", "ray"),
    ],
)
def test_components_by_command_line(cmdline: str, component: str) -> None:
    from bench.cpu import classify

    # multiprocessing below the server's own workers (Ray's dashboard modules) is Ray's
    assert classify(12345, 777, 1, "python -c from multiprocessing.spawn import x") == "ray"
    assert classify(12345, 1, 1, cmdline) == component
    assert classify(1, 0, 1, cmdline) == "api"  # the server process itself, whatever it runs
