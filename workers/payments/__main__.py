"""`python -m workers.payments`: the payments worker as a process of its own.

Point it at the API's ``MONGODB_URL`` (an embedded MongoDB of its own would not see the
API's orders) and at its Ray cluster (``RAY_ADDRESS``, or unset to join the local one).
The ticket signing key comes from ``TICKET_SIGNING_KEY``, or the file under ``DATA_DIR``.

Fault injection (tests): ``PAYMENTS_CRASH_AFTER_STRIPE=1`` makes the process exit
with code 9 right after Stripe answered a charge, before any effect and the ack.
"""

from __future__ import annotations

import asyncio

from workers.host import run_standalone
from workers.payments.worker import start_worker

if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_standalone("payments", start_worker)))
