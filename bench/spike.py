"""``make bench-spike``: a 70,000-seat stadium, 20,000 buyers arriving within 10 s.

Buyers arrive over the first 10 s (a ramp), each with its own minted token (no
logins), and keep reserving 1-4 seats until the stadium is sold out. The API runs
with API_PROCESSES processes (default one per core), as in ``make bench``. Reports the
time to sell out (goal <= 15 s), the max and p99 latency (goal: no request over 2 s),
client timeouts and errors (status 0), answers by code, and the audit (zero oversold).
The load comes from the Python generator (it ramps arrivals, which wrk cannot).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from api.settings import DEV_SECRET
from bench.loadtest import runner
from bench.loadtest.audit import audit
from bench.loadtest.cli import _available, _login
from bench.loadtest.report import final_table, summary
from bench.loadtest.scenario import Scenario
from bench.loadtest.setup import create_event, mint_tokens, stadium_layout
from bench.report import collect_metadata
from bench.servers import ADMIN, api_processes, start_ours

SEATS, BUYERS, CONNECTIONS, RAMP_S, LIMIT_S = 70_000, 20_000, 2_000, 10.0, 120.0


def main() -> int:
    console = Console(width=None if sys.stdout.isatty() else 140)
    layout = stadium_layout(SEATS)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_ours(Path(tmp), api_processes())
        try:
            event_id = asyncio.run(
                create_event(server.url, asyncio.run(_login(server.url, *ADMIN)), layout)
            )
            scenario = Scenario(
                server.url,
                event_id,
                mint_tokens(DEV_SECRET, BUYERS),
                layout,
                sorted({s for s, _, _ in layout}),
                concurrency=CONNECTIONS,
                duration_s=LIMIT_S,
                ramp_s=RAMP_S,
                buyers=BUYERS,
                mix={"reserve_seats": 50.0, "reserve_quantity": 50.0},
            )

            def sold_out() -> bool:
                return asyncio.run(_available(server.url, event_id)) == 0

            result = runner.run(scenario, 2, sold_out=sold_out)
            report = asyncio.run(audit(server.url, event_id, result.reservations))
        finally:
            server.stop()
    data = summary(result, report)
    console.print(final_table(data))
    errors = {k: v for k, v in data["outcomes"].items() if not k.endswith(":ok")}
    reserve = data["operations"].get("reserve", {})
    data["client_timeouts"] = sum(n for k, n in errors.items() if k.split(":")[1] == "0")
    data["max_latency_ms"] = reserve.get("max_ms", 0.0)
    data["api_processes"] = api_processes()
    console.print(
        (
            f"sold out in {data['elapsed_s']:.1f} s (goal <= 15 s); "
            if data["sold_out"]
            else f"NOT sold out after {data['elapsed_s']:.1f} s (limit {LIMIT_S:.0f} s); "
        )
        + f"max latency {data['max_latency_ms']:,.0f} ms, p99 {reserve.get('p99_ms', 0):,.0f} ms "
        f"(goal: none over 2,000 ms); client timeouts/errors {data['client_timeouts']}; "
        f"answers by code: {errors}; oversold seats: {report['oversold_seats']}"
    )
    out = Path(__file__).parent / "results" / "spike.json"
    data = {"metadata": collect_metadata(), **data}
    out.write_text(json.dumps(data, indent=2, default=str))
    console.print(f"written to {out}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
