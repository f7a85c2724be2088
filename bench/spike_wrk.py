"""The spike's buyers driven by wrk and ``bench/wrk_spike.lua`` (the model is there).

``run`` writes the Lua data file (tokens, rows, sections, the ramp), starts wrk with
``connections`` connections for at most ``limit_s`` seconds, and interrupts it (SIGINT:
wrk then prints its summary and the script's ``done()``) once every thread wrote its
marker: it knew the sale sold out and had no request left unanswered. wrk's own
timeout is the limit, so no request is dropped by the client before the end.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import wrk

SCRIPT = Path(__file__).with_name("wrk_spike.lua")


@dataclass
class SpikeRun:
    """What the script reported (``doc``), the 201s it saw and the run's wall time."""

    doc: dict[str, Any]
    reservations: list[tuple[str, list[str]]]
    wall_s: float
    interrupted: bool  # every thread finished (else wrk ran to the limit)


def lua_data(
    event_id: str,
    tokens: list[str],
    layout: list[tuple[str, str, int]],
    threads: int,
    ramp_s: float,
    think_ms: float,
    done_dir: Path,
    max_seats: int = 4,
    seats_share: float = 0.5,
) -> str:
    """The data file the Lua script loads: ``make bench``'s reserve data (event, tokens,
    rows, sections) plus the spike's buyers, ramp, think time and output folder."""
    return wrk.lua_data(event_id, tokens, layout, max_seats, seats_share) + (
        f"BUYERS = {len(tokens)}\nTHREADS = {threads}\nRAMP_MS = {ramp_s * 1000:.0f}\n"
        f"THINK_MS = {think_ms:.0f}\nDONE_DIR = {json.dumps(str(done_dir))}\n"
    )


def run(
    wrk: str,
    url: str,
    event_id: str,
    tokens: list[str],
    layout: list[tuple[str, str, int]],
    *,
    connections: int,
    threads: int,
    ramp_s: float,
    think_ms: float,
    limit_s: float,
) -> SpikeRun:
    """One spike with wrk; returns once every thread finished or at ``limit_s``."""
    _enough_files(connections)
    with tempfile.TemporaryDirectory(prefix="spike-") as tmp:
        work = Path(tmp)
        data = work / "data.lua"
        data.write_text(lua_data(event_id, tokens, layout, threads, ramp_s, think_ms, work))
        args = [
            wrk, f"-t{threads}", f"-c{connections}", f"-d{limit_s:.0f}s",
            "--timeout", f"{limit_s:.0f}s", "-s", str(SCRIPT), url,
        ]  # fmt: skip
        started = time.monotonic()
        proc = subprocess.Popen(
            args,
            env={**os.environ, "BENCH_WRK_DATA": str(data)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        interrupted = False
        while proc.poll() is None:
            if len(list(work.glob("done-*"))) == threads:
                proc.send_signal(signal.SIGINT)  # wrk stops its clock and prints done()
                interrupted = True
                break
            time.sleep(0.05)  # polling the threads' markers: a 50 ms granularity on the end
        stdout, stderr = proc.communicate(timeout=limit_s + 60)
        wall = time.monotonic() - started
        if proc.returncode not in (0, -signal.SIGINT):
            raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr[-2000:]}")
        line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{stdout[-2000:]}{stderr}")
        reservations = []
        for path in work.glob("holds-*.tsv"):
            for row in path.read_text().splitlines():
                rid, _, seats = row.partition("\t")
                reservations.append((rid, [s for s in seats.split(",") if s]))
    return SpikeRun(json.loads(line.removeprefix("BENCH_JSON ")), reservations, wall, interrupted)


def _enough_files(connections: int) -> None:
    """Raise the soft limit on open files (wrk inherits it) to cover the connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = connections + 256  # wrk's own files, the holds files, some slack
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise RuntimeError(
                f"{connections} connections need {need} open files; ulimit -Hn {hard}"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def percentiles(hist: dict[str, int]) -> dict[str, float]:
    """p50/p90/p99/max (ms) of a histogram of whole milliseconds -> count."""
    items = sorted((int(k), n) for k, n in hist.items())
    total = sum(n for _, n in items)
    if not total:
        return {"count": 0}
    out: dict[str, float] = {"count": total, "max_ms": float(items[-1][0] + 1)}
    for name, q in (("p50_ms", 0.50), ("p90_ms", 0.90), ("p99_ms", 0.99)):
        seen, rank = 0, q * total
        for ms, n in items:
            seen += n
            if seen >= rank:
                out[name] = float(ms + 1)  # the bucket's upper edge: never flattering
                break
    return out
