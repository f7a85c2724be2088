"""The HTTP benchmark's profiles (how long, how many seats) and what its run of our
stack measured: shared by the runner (``bench.http_bench``), its figures and its plot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench import openloop
from bench.saturation import Load


@dataclass(frozen=True)
class Profile:
    seats: int  # per event: large enough not to sell out during a run
    load_s: float  # each closed-loop (saturation) run
    latency_s: float  # the open-loop run


PROFILES = {"full": Profile(200_000, 20.0, 20.0), "quick": Profile(50_000, 8.0, 8.0)}


@dataclass
class Ours:
    load: Load
    latency: openloop.Outcome
    latency_rate: float
    latency_audit: dict[str, Any]
