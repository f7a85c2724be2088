"""The purchase path at on-sale scale: a sell-out held, then paid, then confirmed.

Each buyer holds one seat, then pays it with ``pm_card_visa`` at once (so every buyer
pays within seconds of holding, well inside a minute); the payments worker charges
localstripe and confirms. Figures:
- ``payments_confirmed_per_s``: orders / (last confirmation - first payment request),
  with ``CONCURRENCY`` buyers in flight (closed loop);
- ``pay_to_confirmed_p99_ms``: POST /v1/payments/process to the ``order.confirmed``
  message, buyers arriving open-loop at half that rate on a second event;
- ``holds_expired_while_paying``: orders not confirmed before their hold's expiry;
- ``mongo_ops_per_order`` and ``stripe_calls_per_order``: counted by the embedded
  MongoDB and by localstripe during the sell-out (``bench.purchase_stack``), divided
  by the orders; hold, payment, confirmation, tickets and notifications included;
- the embedded MongoDB's inserts/s at 100,000 documents vs 1,000 (``purchase_mongo``).

Buyers' tokens are minted with the deployment's JWT secret (the bench starts the
deployment, so it knows it): login is rate limited (30/min per IP) and a password hash
costs ~0.1 s of CPU, so 20,000 logins would measure the login. One real login (the
bootstrap admin) creates the event.

    python -m bench.purchase --orders 20000            # as in make bench
    python -m bench.purchase --orders 2000 --stripe-rps 25 --hold-ttl 60
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench.cpu import CpuSampler
from bench.purchase_flow import Order, Result, sellout
from bench.purchase_stack import Confirmations, PurchaseStack, delta
from bench.report import Figure, print_figures
from bench.servers import ADMIN
from cluster.loadtest.cli import _login
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout
from contexts.shared.settings import DEV_SECRET

PROFILES = {"full": 20_000, "quick": 500}  # orders; BENCH_PROFILE=quick for bench-quick
# At a Stripe rate of 25/s (2 calls a payment: 12.5 payments/s), orders and a hold TTL
# such that the last payments decide after their first expiry: only the hold extension
# while paying keeps them.
STRIPE_MODE = {"full": (2_000, 60), "quick": (700, 30)}


async def _event(url: str, admin: str, seats: int, ttl_s: int) -> tuple[str, list[str]]:
    layout = stadium_layout(seats)
    event_id = await create_event(url, admin, layout, limit=50, ttl_s=ttl_s)
    return event_id, [f"{s}-{r}-{i}" for s, r, count in layout for i in range(1, count + 1)]


async def measure(
    orders: int, stripe_rps: float | None, ttl_s: int, latency_orders: int | None
) -> tuple[Result, Result | None, dict[str, int], dict[str, int]]:
    with tempfile.TemporaryDirectory(prefix="bench-purchase-") as tmp:
        stack = PurchaseStack(Path(tmp), stripe_rps)
        confirmations = Confirmations()
        try:
            await confirmations.start()
            admin = await _login(stack.url, *ADMIN)
            event_id, seats = await _event(stack.url, admin, orders, ttl_s)
            confirmations.event_ids.add(event_id)
            mongo0, stripe0 = stack.settled_mongo_counts(), stack.stripe_counts()
            foreign0 = confirmations.foreign
            tokens = mint_tokens(DEV_SECRET, orders, ttl_s=7200)
            cpu = CpuSampler([stack.server.proc.pid])
            cpu.start()
            own = time.process_time()
            full = await sellout(stack.url, event_id, seats, tokens, confirmations, ttl_s)
            full.cpu_s, full.cpu_wall_s = cpu.stop(), cpu.wall_s
            full.cpu_s["bench"] = time.process_time() - own  # the buyers (this process)
            full.cpu_s["other"] = max(0.0, full.cpu_s["other"] - full.cpu_s["bench"])
            full.expired_holds = stack.expired_holds(event_id)
            mongo = delta(stack.settled_mongo_counts(), mongo0)
            stripe = delta(stack.stripe_counts(), stripe0)
            full.foreign_messages = confirmations.foreign - foreign0
            half = None
            if latency_orders and full.confirmed_per_s > 0:
                event_id, seats = await _event(stack.url, admin, latency_orders, ttl_s)
                confirmations.event_ids.add(event_id)
                tokens = mint_tokens(DEV_SECRET, latency_orders, ttl_s=7200)
                rate = full.confirmed_per_s / 2
                half = await sellout(
                    stack.url, event_id, seats, tokens, confirmations, ttl_s, rate=rate
                )
                half.expired_holds = stack.expired_holds(event_id)
            return full, half, mongo, stripe
        finally:
            await confirmations.stop()
            stack.stop()


def figures(
    full: Result, half: Result | None, mongo: dict[str, int], stripe: dict[str, int], mode: str
) -> list[Figure]:
    n = max(1, len(full.orders))
    top = sorted(mongo.items(), key=lambda kv: -kv[1])[:6]
    mongo_note = ", ".join(f"{k.split('.', 1)[-1]} {v / n:.2f}" for k, v in top)
    if full.foreign_messages:  # see bench.purchase_stack.AMQP_URL
        mongo_note += f"; includes {full.foreign_messages:,} other runs' messages (shared broker)"
    stripe_note = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(stripe.items()))
    out = [
        Figure(
            f"payments_confirmed_per_s{mode}",
            full.confirmed_per_s,
            "orders/s",
            ">= 60" if not mode else "the Stripe rate / 2 (2 calls a payment)",
            note=f"{len(full.orders):,} orders, {full.confirmed:,} confirmed; " + full.note(),
        ),
        Figure(
            f"holds_expired_while_paying{mode}",
            full.expired,
            "holds",
            "0",
            note=f"hold TTL {full.ttl_s} s; max hold-to-pay {full.max_hold_to_pay_s:.1f} s; "
            f"{full.past_first_expiry} confirmed past the first expiry (extended holds)",
        ),
        Figure(
            f"mongo_ops_per_order{mode}", sum(mongo.values()) / n, "ops", "<= 8", note=mongo_note
        ),
        Figure(
            f"stripe_calls_per_order{mode}", sum(stripe.values()) / n, "calls", note=stripe_note
        ),
    ]
    if half is not None:
        out.append(
            Figure(
                f"pay_to_confirmed_p99_ms{mode}",
                half.p99_ms,
                "ms",
                "<= 1,000",
                note=f"{len(half.orders):,} orders at {half.rate:.1f}/s (half); "
                f"p50 {half.p50_ms:.0f} ms, expired {half.expired}",
            )
        )
    return out


def mongo_volume(sizes: tuple[int, int]) -> list[Figure]:
    from bench.purchase_mongo import run_sizes

    rates = run_sizes(list(sizes))
    small, large = rates[sizes[0]]["insert_one"], rates[sizes[1]]["insert_one"]
    fam = {size: rates[size]["find_one_and_update"] for size in sizes}
    return [
        Figure(
            f"mongo_inserts_per_s_at_{sizes[1] // 1000}k_vs_1k",
            large / small,
            "ratio",
            ">= 0.8",
            baseline=small,
            note=f"{large:,.0f}/s at {sizes[1]:,} docs vs {small:,.0f}/s at {sizes[0]:,}; "
            f"find_one_and_update {fam[sizes[1]]:,.0f}/s vs {fam[sizes[0]]:,.0f}/s",
        )
    ]


def run() -> list[Figure]:
    """For ``python -m bench``: the sell-out, then the embedded MongoDB at volume."""
    import os

    profile = os.environ.get("BENCH_PROFILE", "full")
    orders = PROFILES[profile]
    full, half, mongo, stripe = asyncio.run(measure(orders, None, 600, orders // 10))
    found = figures(full, half, mongo, stripe, "")
    paced, ttl = STRIPE_MODE[profile]
    full, _, mongo, stripe = asyncio.run(measure(paced, 25.0, ttl, None))
    found += figures(full, None, mongo, stripe, "_stripe_25rps")[:2]
    sizes = (1_000, 100_000) if profile == "full" else (1_000, 10_000)
    return found + mongo_volume(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.purchase", description=__doc__)
    parser.add_argument("--orders", type=int, default=PROFILES["full"])
    parser.add_argument("--latency-orders", type=int, help="at half rate (default orders/10)")
    parser.add_argument("--stripe-rps", type=float, help="STRIPE_MAX_RPS for the API")
    parser.add_argument("--hold-ttl", type=int, default=600, help="the event's hold TTL (s)")
    parser.add_argument("--volume", action="store_true", help="also mongo inserts at 100k")
    args = parser.parse_args()
    latency = args.latency_orders if args.latency_orders is not None else args.orders // 10
    mode = "" if args.stripe_rps is None else f"_stripe_{args.stripe_rps:g}rps"
    full, half, mongo, stripe = asyncio.run(
        measure(args.orders, args.stripe_rps, args.hold_ttl, latency)
    )
    found = figures(full, half, mongo, stripe, mode)
    if args.volume:
        found += mongo_volume((1_000, 100_000))
    print_figures(found, console=Console(width=160))
    for key, count in sorted(mongo.items(), key=lambda kv: -kv[1]):
        print(f"  mongo {key}: {count / max(1, len(full.orders)):.2f}/order")
    print(cpu_table(full))


def cpu_table(full: Result) -> str:
    """CPU per confirmed order and cores used, by component, over the sell-out (from
    its first request to its last confirmation wait; ``other``: the rest of the machine)."""
    n, wall = max(1, full.confirmed), max(1e-9, full.cpu_wall_s)
    rows = sorted(full.cpu_s.items(), key=lambda kv: -kv[1])
    lines = [f"  CPU over {wall:.1f} s, {n:,} confirmed (ms/order, cores):"]
    lines += [f"    {k:<8} {v / n * 1000:7.2f} ms {v / wall:5.2f}" for k, v in rows]
    ours = sum(v for k, v in full.cpu_s.items() if k not in ("other", "loadgen", "bench"))
    lines.append(f"    {'stack':<8} {ours / n * 1000:7.2f} ms {ours / wall:5.2f} (all but other)")
    return "\n".join(lines)


__all__ = ["Order", "figures", "main", "measure", "run"]

if __name__ == "__main__":
    main()
