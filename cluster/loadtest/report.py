"""The load tester's live display and final report (rich), and its JSON form."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cluster.loadtest.runner import Result
from cluster.loadtest.stats import Totals, percentile
from cluster.loadtest.verdict import MAX_FOREIGN_SHARE, ceiling_warning, verdict


def live_table(totals: Totals, elapsed: float, seats_left: int | None) -> Table:
    table = Table(title=f"load test: {elapsed:5.1f} s", show_header=True)
    for column in (
        "requests/s",
        "requests",
        "holds",
        "seats held",
        "p50 ms",
        "p99 ms",
        "seats left",
        "errors",
    ):
        table.add_column(column, justify="right")
    reserve = totals.latencies.get("reserve", [])
    errors = ", ".join(f"{k} {v}" for k, v in totals.errors().most_common(3)) or "-"
    table.add_row(
        f"{totals.recent_rps():,.0f}",
        f"{totals.requests:,}",
        f"{totals.holds:,}",
        f"{totals.seats:,}",
        f"{percentile(reserve, 50):.1f}",
        f"{percentile(reserve, 99):.1f}",
        "-" if seats_left is None else f"{seats_left:,}",
        errors,
    )
    return table


def summary(
    result: Result,
    audit: dict[str, Any] | None = None,
    ceiling: dict[str, Any] | None = None,
    max_refused: float = MAX_FOREIGN_SHARE,
) -> dict[str, Any]:
    """The run as plain data (what ``--json`` writes): with the verdict on its refusals
    (cluster.loadtest.verdict) and, when measured, the generator's own ceiling."""
    t = result.totals
    ops = {
        op: {
            "count": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values, default=0.0),
        }
        for op, values in t.latencies.items()
    }
    rps = t.requests / result.elapsed_s if result.elapsed_s else 0.0
    judged = verdict(t.codes, max_refused)
    near_ceiling = ceiling_warning(rps, ceiling)
    return {
        "elapsed_s": result.elapsed_s,
        "requests": t.requests,
        "requests_per_s": rps,
        "holds": t.holds,
        "seats_held": t.seats,
        "holds_per_s": t.holds / result.elapsed_s if result.elapsed_s else 0.0,
        "sold_out": result.sold_out,
        "operations": ops,
        "outcomes": dict(t.codes),
        "holds_per_second_timeline": sorted(t.per_second.items()),
        "audit": audit,
        "verdict": judged,
        "generator_ceiling": ceiling,
        "warnings": judged["warnings"] + ([near_ceiling] if near_ceiling else []),
    }


def final_table(data: dict[str, Any]) -> Table:
    table = Table(title="load test report")
    table.add_column("operation")
    for column in ("count", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right")
    for op, stats in data["operations"].items():
        table.add_row(
            op,
            f"{stats['count']:,}",
            f"{stats['p50_ms']:.1f}",
            f"{stats['p99_ms']:.1f}",
            f"{stats['max_ms']:.1f}",
        )
    table.caption = (
        f"{data['requests']:,} requests in {data['elapsed_s']:.1f} s "
        f"({data['requests_per_s']:,.0f}/s); {data['holds']:,} holds "
        f"({data['holds_per_s']:,.0f}/s), {data['seats_held']:,} seats; "
        f"sold out: {data['sold_out']}; audit: "
        + ("-" if not data["audit"] else ("OK" if data["audit"]["ok"] else "FAILED"))
        + "; run: "
        + ("valid" if data["verdict"]["valid"] else "NOT VALID (see the warnings)")
        + (
            f"; generator ceiling {ceiling['requests_per_s']:,.0f}/s on /health"
            if (ceiling := data.get("generator_ceiling"))
            else ""
        )
    )
    return table
