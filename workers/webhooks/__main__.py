"""`python -m workers.webhooks`: the webhooks worker as a process of its own (set the
API's ``MONGODB_URL``: subscriptions and the delivery log live there)."""

from __future__ import annotations

import asyncio

from workers.host import run_standalone
from workers.webhooks.worker import start_worker

if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_standalone("webhooks", start_worker)))
