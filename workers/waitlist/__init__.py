"""The waiting-list worker: when seats of a sold-out event come back, the next in line
gets a time-limited offer (a hold in their name), announced by email; an unclaimed
offer passes on.

``start_worker(container)`` runs it in a process that has a composition root (the API
does, via ``workers.host``); ``python -m workers.waitlist`` runs it alone.
"""

from workers.waitlist.worker import WaitlistWorker, build, queue_spec, start_worker

__all__ = ["WaitlistWorker", "build", "queue_spec", "start_worker"]
