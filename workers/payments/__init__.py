"""The payments worker: consumes ``payment.requested``, charges through Stripe (the
official SDK; localstripe in development), confirms the seats and issues tickets, or
releases them, or refunds a payment that came too late for its seats.

``start_worker(container)`` runs it in a process that has a composition root (the API
does, via ``workers.host``); ``python -m workers.payments`` runs it alone.
"""

from workers.payments.worker import PaymentsWorker, build, queue_spec, start_worker

__all__ = ["PaymentsWorker", "build", "queue_spec", "start_worker"]
