"""`python -m workers.notifications`: the notifications worker as a process of its own.

Set ``MONGODB_URL`` and ``RAY_ADDRESS`` to those of the API: an embedded MongoDB of its
own would not see the API's users, nor a Ray of its own the holds (``workers.host``).
"""

from __future__ import annotations

import asyncio

from workers.host import run_standalone
from workers.notifications.worker import start_worker

if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_standalone("notifications", start_worker)))
