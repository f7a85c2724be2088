"""Where a request's time goes, stage by stage: opt-in histograms for tail hunting.

Off unless ``STAGE_STATS_DIR`` names a directory (read once, at import): then
``observe(stage, seconds)`` counts a duration into a log-spaced histogram (~12 %
wide buckets from 10 µs to 100 s), and a daemon thread writes this process's
histograms to ``<dir>/stages-<pid>.json`` every second (the last write survives a
kill). Off, ``observe`` is a single global check, and ``ENABLED`` lets a caller skip
taking timestamps at all. Also, when on: the event loop's lag (a 10 ms sleep's
overshoot, ``watch_loop``) and the garbage collector's pauses by generation
(``gc.callbacks``), the two process-wide pauses that delay every request at once.

Used by the API's reserve fast path, the router's batching and the inventory actor;
``docs/perf/tail.py`` merges the files into one table.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

DIR = os.environ.get("STAGE_STATS_DIR") or None
ENABLED = DIR is not None
_STEPS = 20  # buckets per decade: 10 ** (1/20) ~ 1.12
_hist: dict[str, list[int]] = {}
_lock = threading.Lock()  # observe() may run on the journal's or Ray's threads too
_started = False


def observe(stage: str, seconds: float) -> None:
    """Count one duration of ``stage`` (no-op unless enabled)."""
    if not ENABLED:
        return
    k = max(0, int(math.log10(max(seconds, 1e-5) / 1e-5) * _STEPS))
    with _lock:
        counts = _hist.get(stage)
        if counts is None:
            counts = _hist[stage] = [0] * (7 * _STEPS + 1)
        counts[min(k, len(counts) - 1)] += 1


def bucket_upper_s(k: int) -> float:
    """The upper bound (seconds) of bucket ``k``."""
    return 1e-5 * 10 ** ((k + 1) / _STEPS)


def start(role: str) -> None:
    """Begin dumping (and GC timing) in this process, once; ``role`` names it in the file."""
    global _started
    if not ENABLED or _started:
        return
    _started = True
    gc_started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            observe(f"gc.gen{info['generation']}", time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)
    path = Path(str(DIR)) / f"stages-{os.getpid()}.json"

    def dump_forever() -> None:
        while True:
            time.sleep(1.0)
            with _lock:
                hist = {k: list(v) for k, v in _hist.items()}
            data = {"role": role, "pid": os.getpid(), "hist": hist}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(path)

    threading.Thread(target=dump_forever, daemon=True, name="stagestats").start()


async def watch_loop(period_s: float = 0.01) -> None:
    """Run forever on a loop, counting how late each ``period_s`` sleep wakes up."""
    while True:
        due = time.perf_counter() + period_s
        await asyncio.sleep(period_s)
        observe("loop.lag", max(0.0, time.perf_counter() - due))
