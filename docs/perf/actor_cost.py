"""The inventory actor's CPU per call and per command (docs/performance.md).

    .venv/bin/python docs/perf/actor_cost.py [--amqp amqp://guest:guest@127.0.0.1:5672/]

Opens one event on a private local Ray, sends holds in calls of 1, 10 and 100
commands (sequentially: one call in flight, as one router does), and reads the
actor process's utime + stime from /proc before and after each series: CPU per
call = per-call overhead + batch x per-command cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import ray  # noqa: E402

from actors.config import ActorConfig, RouterConfig  # noqa: E402
from actors.router import InventoryRouter  # noqa: E402
from engine import HoldBestAvailable, SaleTerms, Venue  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def venue(seats: int) -> Venue:
    sections = [
        {"name": f"S{s}", "rows": [{"label": str(r), "seats": 50} for r in range(1, 41)]}
        for s in range(1, seats // 2000 + 1)
    ]
    return Venue.from_dict({"sections": sections, "areas": []})


async def main(amqp: str | None, calls: int, journal: str | None, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = RouterConfig(
            namespace=f"cost-{uuid.uuid4().hex[:6]}",
            max_batch=1000,
            actor=ActorConfig(journal_url=journal or f"sqlite:///{tmp}/journal.db", amqp_url=amqp),
        )
        router = InventoryRouter(config)
        v = venue(400_000)
        sections = [s.name for s in v.sections]
        tiers = [{"name": "All", "amount": 5000, "sections": sections}]
        terms = SaleTerms.from_dict(
            {"currency": "EUR", "tiers": tiers, "max_per_customer": 10**6, "hold_ttl_seconds": 600}
        )
        await router.open("ev", v, terms)
        handle = await router.handle("ev")
        pid = await handle.__ray_call__.remote(lambda self: os.getpid())
        n = 0
        idle = cpu_s(pid)
        await asyncio.sleep(2.0)
        idle = (cpu_s(pid) - idle) / 2.0
        print(f"idle actor: {100 * idle:.1f}% of a core")
        spy = None
        if profile:
            py_spy = str(Path(sys.executable).parent / "py-spy")
            command = [py_spy, "record", "--nonblocking", "-p", str(pid), "-f", "raw"]
            spy = subprocess.Popen([*command, "-o", profile, "-d", "4"])
            await asyncio.sleep(1.0)
        for size in (1, 10, 100):
            series = calls if size == 1 else max(20, calls * 10 // (size * 2))
            before, started = cpu_s(pid), time.perf_counter()
            for _ in range(series):
                commands = []
                for _ in range(size):
                    n += 1
                    commands.append(HoldBestAvailable(f"c{n}", sections[n % len(sections)], 1))
                await handle.execute.remote(commands)
            used, elapsed = cpu_s(pid) - before, time.perf_counter() - started
            per_call = 1e6 * used / series
            if spy is not None:
                spy.wait()
                spy = None
            print(
                f"batch {size:>3}: {series} calls in {elapsed:.1f} s, actor CPU "
                f"{per_call:.0f} us/call = {per_call / size:.0f} us/command"
            )
        await router.close()
        await handle.shutdown.remote()
        ray.kill(handle)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--amqp", default=None)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--journal", default=None, help="JOURNAL_URL (default: SQLite in tmp)")
    parser.add_argument("--profile", default=None, help="py-spy raw output of the batch-1 calls")
    args = parser.parse_args()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        asyncio.run(main(args.amqp, args.calls, args.journal, args.profile))
    finally:
        ray.shutdown()
