"""The whole system stopped (Ctrl-C) and started again mid-sale, as `make run` is.

`python -m api` here owns everything a machine runs: its own Ray head (so a restart
is a new Ray with no actor at all), its API processes and their workers. Only the
disk stays: the journal (SQLite) and MongoDB. After the restart, nobody re-publishes:
buyers' retries must find the event on sale with every acknowledged hold and sale.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.mongo_embedded import EmbeddedMongo
from contexts.auth.tokens import TokenService
from tests.faults.api_process import ApiProcess
from tests.faults.audit import audit
from tests.faults.conftest import CHECKED, seat_pool
from tests.faults.load import run_buyers
from tests.integration.api_support import api_settings, delete_worker_queues
from tests.integration.test_reservations_api import on_sale_event

pytestmark = pytest.mark.slow


class OwnRayApi(ApiProcess):
    """``python -m api`` with no RAY_ADDRESS: it starts (and stops) a Ray head itself."""

    def env(self) -> dict[str, str]:
        s = self.settings
        env = {
            **os.environ,
            "PORT": str(self.port),
            "MONGODB_URL": str(s.mongodb_url),
            "MONGODB_DB_PREFIX": s.mongodb_db_prefix,
            "RAY_NAMESPACE": s.ray_namespace,
            "AMQP_QUEUE_PREFIX": s.amqp_queue_prefix,
            "STRIPE_API_BASE": s.stripe_api_base,
            "DATA_DIR": str(s.data_dir),
            "JOURNAL_URL": s.effective_journal_url,
            "DEV_SERVERS": "false",
            "RESERVE_RATE_PER_USER": "0",
            "RESERVE_RATE_PER_IP": "0",
            "AUTH_RATE_PER_IP": "0",
            **self.extra,
        }
        for name in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_TOKEN"):
            env.pop(name, None)
        return env

    def __enter__(self) -> str:
        self.start(timeout=400.0)  # a Ray head, then N processes importing the app
        return self.url

    def ray_address(self) -> str:
        state = json.loads((self.settings.data_dir / "ray" / "cluster.json").read_text())
        return str(state["address"])


class HttpOnly:
    """What ``on_sale_event`` needs of an app: a client (events' TTL is the API's)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client


async def test_whole_system_restarted_mid_sale(
    tmp_path: Path, embedded_mongo: EmbeddedMongo, localstripe: str, scenario
) -> None:
    row = scenario(
        "fault",
        "whole system restarted mid-sale (make run: Ctrl-C, start again)",
        "30 buyers over 10 s, 1-2 seats each from 40, reserve+pay over HTTP (2 processes)",
        "SIGINT to `python -m api` 3 s into the load: API processes, workers and its Ray "
        "head stop; started again (a new Ray, no actor); nobody re-publishes",
        CHECKED + "; the event sells again on first use, holds and sales from the journal",
        "",
    )
    settings = api_settings(tmp_path, embedded_mongo, stripe_api_base=localstripe, run_workers=True)
    tokens = TokenService(settings)

    def token(user_id: str, *roles: str) -> dict[str, str]:
        access, _ = tokens.issue_access(user_id, ["user", *roles])
        return {"Authorization": f"Bearer {access}"}

    log = Path(os.environ.get("FAULT_LOG_DIR", tmp_path)) / "system-restart-api.log"
    server = OwnRayApi(settings, log, API_PROCESSES="2", RUN_WORKERS="true")
    addresses: list[str] = []
    restarted: list[float] = []
    try:
        with server as url:  # started in __enter__; a loaded 2-core machine takes minutes
            addresses.append(server.ray_address())
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                creator = {"headers": token(f"creator-{uuid.uuid4().hex[:6]}", "event_creator")}
                event_id = await on_sale_event(HttpOnly(client), creator)  # type: ignore[arg-type]

                async def restart() -> None:
                    await asyncio.sleep(3.0)
                    await asyncio.to_thread(server.stop)
                    restarted.append(await asyncio.to_thread(server.start, 400.0))
                    addresses.append(server.ray_address())

                ledger, _ = await asyncio.gather(
                    run_buyers(
                        client,
                        event_id,
                        token,
                        seat_pool(),
                        buyers=30,
                        spread_s=10.0,
                        deadline_s=450.0,  # a restart on a loaded 2-core machine: minutes
                    ),
                    restart(),
                )
                assert addresses[0] != addresses[1], "the Ray head was not restarted"
                assert ledger.holds, f"no hold acknowledged: {ledger.outcomes}"
                found = await audit(
                    client, event_id, 40, ledger, token, (localstripe, settings.stripe_api_key)
                )
                # Sales go on: a seat nobody holds can be reserved right away.
                view: dict[str, Any] = (
                    await client.get(f"/v1/events/{event_id}/availability")
                ).json()
                assert view["available"] + view["held"] + view["sold"] == 40
    finally:
        await delete_worker_queues(settings)
    row.inputs = ledger.requests
    row.result = (
        f"{found.line()}; {ledger.summary()}; system back in {restarted[0]:.1f} s "
        f"(Ray {addresses[0]} -> {addresses[1]})"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[-1][:1] != "Z"


def test_kill_9_of_make_run_stops_every_child(
    tmp_path: Path, embedded_mongo: EmbeddedMongo
) -> None:
    """Killing `python -m api` outright leaves nothing behind: API processes, the Ray head
    (recorded, owner-only, in DATA_DIR/ray) and its processes all stop."""
    import time

    settings = api_settings(tmp_path, embedded_mongo)
    server = OwnRayApi(settings, tmp_path / "api.log", API_PROCESSES="2", RUN_WORKERS="false")
    with server:
        state_file = settings.data_dir / "ray" / "cluster.json"
        assert state_file.stat().st_mode & 0o077 == 0
        state = json.loads(state_file.read_text())
        assert Path(state["token_path"]).stat().st_mode & 0o077 == 0
        assert state["owner_pid"] == server.proc.pid  # type: ignore[union-attr]
        workers = server.workers()
        ray_group = [
            int(p) for p in os.listdir("/proc") if p.isdigit() and _in_group(int(p), state["pids"])
        ]
        assert len(workers) == 2 and ray_group, (workers, ray_group)
        server.proc.kill()  # type: ignore[union-attr]  # kill -9 of the parent alone
        server.proc.wait(30)  # type: ignore[union-attr]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (
            any(map(_alive, workers + ray_group)) or state_file.exists()
        ):
            time.sleep(0.5)
        left = [p for p in workers + ray_group if _alive(p)]
        assert left == [], f"still running after the parent was killed: {left}"
        assert not state_file.exists()


def _in_group(pid: int, groups: list[int]) -> bool:
    try:
        return os.getpgid(pid) in groups
    except ProcessLookupError:
        return False
