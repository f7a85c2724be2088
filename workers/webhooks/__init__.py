"""The webhooks worker: delivers order and ticket events to organisers' URLs, signed
(``contexts.webhooks.signing``), retried with backoff, every attempt logged.

``start_worker(container)`` runs it in a process that has a composition root (the API
does, via ``workers.host``); ``python -m workers.webhooks`` runs it alone.
"""

from workers.webhooks.worker import WebhooksWorker, build, queue_spec, start_worker

__all__ = ["WebhooksWorker", "build", "queue_spec", "start_worker"]
