"""The notifications worker: email (SMTP) and SMS for orders, refunds, cancellations and
expired holds, rendered from templates stored in MongoDB, every notification recorded.

``start_worker(container)`` runs it in a process that has a composition root (the API
does, via ``workers.host``); ``python -m workers.notifications`` runs it alone.
"""

from workers.notifications.worker import NotificationsWorker, build, queue_spec, start_worker

__all__ = ["NotificationsWorker", "build", "queue_spec", "start_worker"]
