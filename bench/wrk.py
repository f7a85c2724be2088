"""Driving ``POST /v1/tickets/reserve`` with wrk (C, event loop per thread) and a Lua script.

wrk is closed-loop (each connection sends its next request when the answer arrives), so
it measures saturation throughput; latency comes from the open-loop generator
(``bench.openloop``). ``find_wrk`` is None where wrk is not installed (``make wrk``
installs Debian's package as root); the bench then falls back to the Python generator.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_reserve.lua")
# Codes of the sale deciding (seats taken, sold out, per-customer limit), not the server
# shedding or failing: these count as "decided" answers, with every 201.
DECIDED_CODES = {"seat_unavailable", "sold_out", "limit_exceeded"}


def find_wrk() -> str | None:
    """wrk's path (``WRK_PATH``, else on PATH); None without it or with BENCH_GENERATOR=python."""
    if os.environ.get("BENCH_GENERATOR") == "python":
        return None
    return os.environ.get("WRK_PATH") or shutil.which("wrk")


@dataclass
class WrkResult:
    """One wrk run's answers (by "status:code"), seats granted and wrk's own figures."""

    seconds: float
    requests: int
    counts: dict[str, int]
    seats_granted: int
    errors: dict[str, int]
    latency_ms: dict[str, float]

    @property
    def holds(self) -> int:
        return self.counts.get("201", 0)

    @property
    def decided(self) -> int:
        """201s plus the sale's own refusals (409s, 429 limit_exceeded)."""
        return self.holds + sum(
            n for key, n in self.counts.items() if key.split(":", 1)[-1] in DECIDED_CODES
        )

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_data(
    event_id: str,
    tokens: list[str],
    layout: list[tuple[str, str, int]],
    max_seats: int = 4,
    seats_share: float = 0.5,
) -> str:
    """The data file the Lua script loads: a Lua chunk of plain tables."""
    rows = ",".join(f'{{"{s}","{r}",{n}}}' for s, r, n in layout)
    sections = ",".join(f'"{s}"' for s in sorted({s for s, _, _ in layout}))
    return (
        f'EVENT = "{event_id}"\nMAX_SEATS = {max_seats}\nSEATS_SHARE = {seats_share}\n'
        f"TOKENS = {{{','.join(json.dumps(t) for t in tokens)}}}\n"
        f"ROWS = {{{rows}}}\nSECTIONS = {{{sections}}}\n"
    )


def parse(stdout: str) -> WrkResult:
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{stdout[-2000:]}")
    doc = json.loads(line.removeprefix("BENCH_JSON "))
    return WrkResult(
        seconds=doc["duration_us"] / 1e6,
        requests=doc["requests"],
        counts=doc["counts"],
        seats_granted=doc["seats_granted"],
        errors=doc["errors"],
        latency_ms={k: v / 1000 for k, v in doc["latency_us"].items()},
    )


def run(
    url: str,
    data: str,
    seconds: float,
    connections: int = 64,
    threads: int = 2,
    wrk: str | None = None,
) -> WrkResult:
    """``wrk`` against ``url`` for ``seconds`` with the reserve script and ``data``."""
    binary = wrk or find_wrk()
    if binary is None:
        raise RuntimeError("wrk is not installed (make wrk)")
    args = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(data)
    try:
        out = subprocess.run(
            [*args, "-s", str(SCRIPT), url],
            env={**os.environ, "BENCH_WRK_DATA": f.name},
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(f.name)
    return parse(out.stdout)
