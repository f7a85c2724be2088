"""The workers' AMQP queue names, below every face.

``ticketing cluster status`` (cluster/) lists the queues the workers (workers/) declare;
the faces never import each other, so the names live here. Each worker declares
``<prefix>.<name>``, ``<prefix>.<name>.dead`` and one ``.retry.<n>`` per retry step
(``workers/bus.py``); a unit test checks this table against the workers' own specs.
"""

from __future__ import annotations

from typing import Any

# Worker name -> number of retry steps of its queue (its QueueSpec.retry_delays_s).
WORKER_QUEUES: dict[str, int] = {"notifications": 3, "payments": 3, "webhooks": 5, "waitlist": 3}


def queue_name(settings: Any, base: str) -> str:
    """A worker's queue name: ``<AMQP_QUEUE_PREFIX>.<base>``, or ``base`` without a prefix.

    A prefix isolates one deployment (or one test run) from another on a shared broker.
    """
    prefix = getattr(settings, "amqp_queue_prefix", "")
    return f"{prefix}.{base}" if prefix else base


def queue_expiry(settings: Any) -> float:
    """Seconds after which the broker deletes an unused worker queue (0: never)."""
    return float(getattr(settings, "amqp_queue_expires_s", 0.0))


def worker_queue_names(settings: Any) -> list[str]:
    """Every queue the workers declare, in a stable order."""
    names = []
    for worker, retries in WORKER_QUEUES.items():
        name = queue_name(settings, worker)
        names += [name, f"{name}.dead", *(f"{name}.retry.{step}" for step in range(retries))]
    return names
