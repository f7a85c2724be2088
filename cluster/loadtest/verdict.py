"""Was the run a test of the sale? Refusals are sorted by their problem ``code``.

The sale's own refusals are the inventory answering a crowd: seats taken, sold out,
over the per-customer limit, a hold gone. Everything else (rate limits, refused
tokens, invalid seats or sections, an event not on sale, server errors, connections
that failed) means the requests never reached the sale, and a run made mostly of them
measured the wrong thing however fast it went. Classified by ``code``, not status:
the per-customer limit and a rate limit may share a status (429), not a code.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Codes the sale itself answers with (engine/errors.py and the payment of a lost hold).
SALE_CODES = frozenset(
    {
        "seat_unavailable",
        "sold_out",
        "limit_exceeded",
        "hold_not_found",
        "hold_expired",
        "hold_already_sold",
        "reservation_not_held",
    }
)
# What to do about the most common foreign refusals.
HINTS = {
    "rate_limited": "the server rate-limits the load: start it with RESERVE_RATE_PER_USER=0 "
    "RESERVE_RATE_PER_IP=0 (AUTH_RATE_PER_IP=0 too when registering buyers)",
    "unauthorized": "the server refuses the buyers' tokens: --mint-secret must be its JWT_SECRET",
    "invalid_seat": "the picks do not match the event's seat map",
    "invalid_area": "the picks do not match the event's areas",
    "not_on_sale": "the event is not on sale",
}
MAX_FOREIGN_SHARE = 0.10  # above this share of requests, the run is not valid


def outcome_parts(key: str) -> tuple[str, int | None, str]:
    """``"reserve:429:rate_limited"`` -> ("reserve", 429, "rate_limited"); ok: (op, None, "ok")."""
    op, _, rest = key.partition(":")
    status, _, code = rest.partition(":")
    if not code:
        return op, None, status
    return op, int(status) if status.isdigit() else None, code


def verdict(codes: Counter[str] | dict[str, int], max_share: float = MAX_FOREIGN_SHARE) -> dict:
    """Counts of answers that tested the sale and of those that did not, and whether the
    run stands (foreign refusals at most ``max_share`` of the requests)."""
    foreign: Counter[str] = Counter()
    sale = requests = 0
    for key, count in codes.items():
        op, status, code = outcome_parts(key)
        if op == "health":
            continue  # the generator's own calibration, not the sale
        requests += count
        if code == "ok" or code in SALE_CODES:
            sale += count
        else:
            foreign[f"{status or 'no answer'} {code}"] += count
    total = sum(foreign.values())
    share = total / requests if requests else 0.0
    valid = requests > 0 and share <= max_share
    warnings: list[str] = []
    if not requests:
        warnings.append("no request was answered")
    elif total:
        top = ", ".join(f"{k} x{n:,}" for k, n in foreign.most_common(3))
        warnings.append(
            f"{total:,} of {requests:,} requests ({share:.0%}) were refused for reasons not "
            f"the sale's own: {top}"
        )
        codes_seen = {k.split(" ", 1)[1] for k in foreign}
        warnings.extend(hint for code, hint in HINTS.items() if code in codes_seen)
    return {
        "requests": requests,
        "sale_answers": sale,
        "foreign_refusals": total,
        "foreign_share": share,
        "foreign_by_code": dict(foreign.most_common()),
        "max_foreign_share": max_share,
        "valid": valid,
        "warnings": warnings,
    }


def ceiling_warning(requests_per_s: float, ceiling: dict[str, Any] | None) -> str | None:
    """A warning when the run went nearly as fast as the generator itself can (``/health``)."""
    if not ceiling or not ceiling.get("requests_per_s"):
        return None
    ratio = requests_per_s / ceiling["requests_per_s"]
    if ratio < 0.8:
        return None
    return (
        f"the run reached {ratio:.0%} of the load generator's own ceiling "
        f"({ceiling['requests_per_s']:,.0f} requests/s against /health): the server may be "
        "faster than measured (more --processes, or a second machine)"
    )
