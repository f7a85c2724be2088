"""`python -m workers.waitlist`: the waiting-list worker as a process of its own (with the
API's ``MONGODB_URL`` and ``RAY_ADDRESS``: it holds seats through the inventory actors)."""

from __future__ import annotations

import asyncio

from workers.host import run_standalone
from workers.waitlist.worker import start_worker

if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_standalone("waitlist", start_worker)))
