"""The HTTP benchmark's figures (the table and latest.json), its details file
(bench/results/http.json: every count, CPU reading and audit) and its plot."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.plot import draw
from bench.report import Figure, collect_metadata
from bench.saturation import Load

if TYPE_CHECKING:
    from bench.http_profile import Ours, Profile

RESULTS = Path(__file__).parent / "results"
COMPONENTS = ("api", "actor", "broker", "ray", "mongo", "loadgen", "other")


def _cpu_note(load: Load) -> str:
    cores = ", ".join(f"{k} {load.cores.get(k, 0):.2f}" for k in COMPONENTS if k in load.cores)
    return f"cores used: {cores}; api processes seen: {load.processes.get('api', 0)}"


def figures(ceiling: Load, ours: Ours, base: Load, processes: int, p: Profile) -> list[Figure]:
    load, lat = ours.load, ours.latency
    reserve_s, ceiling_s = load.per_s(load.decided), ceiling.per_s(ceiling.requests)
    holds_s, base_holds_s = load.per_s(load.holds), base.per_s(base.holds)
    base_decided_s = base.per_s(base.decided)
    per = load.cpu_us_per_decided()
    gen = f"{load.generator}; API_PROCESSES={processes} for all; {p.seats:,}-seat events"
    audit_ok = load.audit.get("ok") and ours.latency_audit.get("ok")
    oversold = load.audit.get("oversold_seats", 0) + ours.latency_audit.get("oversold_seats", 0)
    figs = [
        Figure("ceiling_post_per_s", ceiling_s, "POST/s", note=f"bare FastAPI+JWT+pydantic; {gen}"),
        Figure(
            "ceiling_cpu_us_per_post",
            ceiling.cpu_s.get("api", 0.0) / max(ceiling.requests, 1) * 1e6,
            "µs",
            note="the bare app's uvicorn processes: the framework's floor per request",
        ),
        Figure(
            "http_reserve_per_s",
            reserve_s,
            "answers/s",
            ">= 5,000 where the ceiling is >= 11,000",
            note=f"decided: 201 + the sale's 409/429, {load.per_s(load.requests):,.0f} answers/s",
        ),
        Figure("http_vs_ceiling", reserve_s / ceiling_s if ceiling_s else 0.0, "x", ">= 0.45"),
        Figure("http_holds_per_s", holds_s, "holds/s", note=f"{load.seats_granted:,} seats held"),
        Figure(
            "http_p50_ms", lat.percentile(50), "ms", note=f"open loop at {ours.latency_rate:,.0f}/s"
        ),
        Figure(
            "http_p99_ms",
            lat.percentile(99),
            "ms",
            "<= 50",
            note=f"from due time; max {max(lat.latencies_ms, default=0):,.0f} ms, "
            f"generator max lag {lat.max_lag_ms:,.0f} ms, {lat.sent:,} sent",
        ),
        Figure("baseline_pg_holds_per_s", base_holds_s, "holds/s", note="SELECT ... FOR UPDATE"),
        Figure(
            "baseline_pg_p99_ms",
            base.latency_ms.get("p99", 0.0),
            "ms",
            note=f"{base.generator}, closed loop (not comparable with http_p99_ms)",
        ),
        Figure(
            "speedup_vs_pg",
            holds_s / base_holds_s if base_holds_s else 0.0,
            "x",
            ">= 10",
            baseline=base_holds_s,
            note=f"holds/s; decided answers/s {reserve_s / max(base_decided_s, 1e-9):.2f}x",
        ),
        Figure(
            "actor_cpu_us_per_reserve", per.get("actor", 0.0), "µs", "<= 50", note=_cpu_note(load)
        ),
    ]
    for name in ("api", "broker", "ray", "mongo", "loadgen", "other"):
        figs.append(Figure(f"{name}_cpu_us_per_reserve", per.get(name, 0.0), "µs"))
    figs.append(
        Figure(
            "oversold_seats",
            oversold,
            "seats",
            "0",
            note=("audit OK" if audit_ok else "audit FAILED")
            + f"; baseline oversold {base.audit.get('oversold_seats')}",
        )
    )
    _details(ceiling, ours, base, processes, p)
    return figs


def _plain(load: Load) -> dict[str, Any]:
    return {k: v for k, v in asdict(load).items() if k != "reservations"}


def _details(ceiling: Load, ours: Ours, base: Load, processes: int, p: Profile) -> None:
    lat = ours.latency
    latency: dict[str, Any] = {
        "offered_per_s": ours.latency_rate,
        "sent": lat.sent,
        "counts": dict(lat.counts),
        "p50_ms": lat.percentile(50),
        "p99_ms": lat.percentile(99),
        "p999_ms": lat.percentile(99.9),
        "max_ms": max(lat.latencies_ms, default=0.0),
        "generator_max_lag_ms": lat.max_lag_ms,
        "audit": ours.latency_audit,
    }
    doc = {
        "metadata": collect_metadata() | {"api_processes": processes, "profile": asdict(p)},
        "ceiling": _plain(ceiling),
        "ours": _plain(ours.load),
        "ours_latency": latency,
        "baseline": _plain(base),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "http.json").write_text(json.dumps(doc, indent=2) + "\n")
    draw(ceiling, ours, base, lat.latencies_ms, RESULTS / "latest.png")
