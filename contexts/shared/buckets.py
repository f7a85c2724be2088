"""Token buckets shared by every process of a Ray cluster: one named actor, taken from in batches.

Rate limits (``contexts.shared.ratelimit``) and Stripe's pacing
(``contexts.orders.stripe_pacing``) both
need a rate that holds across API processes and standalone workers, on one machine or
many. A bucket per process would let N processes make N times the rate, so the buckets
live in ONE place, a named Ray actor in the deployment's namespace (created by whoever
asks first, ``get_if_exists``), and each process takes a few tokens at a time from it:

- a bucket never hands out more than it holds, or, when the taker accepts to wait
  (``horizon_s``), more than it will hold by then: it goes into debt and tells the taker
  when its tokens are there (a virtual clock all takers share, for pacing);
- takes are coalesced: while one call to the actor is in flight, the next ones queue and
  go together in the following call (one actor call per batch, not per request).

The client's wall clock stamps each batch (hosts keep NTP time; each bucket's time only
moves forward). If Ray is not running or the actor cannot be reached, each process falls
back to buckets of its own (logged once per outage): rates hold per process, not in all.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Key = tuple[str, str]
Ask = tuple[Key, float, float, int, float]  # key, capacity, rate per second, want, horizon_s


class Buckets:
    """Token buckets keyed by (scope, key): the actor's state, and a process's fallback."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._buckets: dict[Key, tuple[float, float]] = {}

    def take(
        self, key: Key, capacity: float, rate: float, want: int, now: float, horizon_s: float = 0.0
    ) -> tuple[int, float]:
        """Up to ``want`` tokens of a bucket of ``capacity`` refilled at ``rate`` a second,
        counting those it will hold within ``horizon_s``: (granted, seconds until the last
        granted one is there; if none was granted, until one could be)."""
        tokens, stamp = self._buckets.get(key, (float(capacity), now))
        now = max(now, stamp)  # clocks of several hosts: a bucket's time only moves on
        tokens = min(float(capacity), tokens + (now - stamp) * rate)
        # The epsilon: a token due exactly now must not be lost to float rounding.
        granted = max(0, min(want, math.floor(tokens + horizon_s * rate + 1e-9)))
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            self._buckets.clear()  # bounded memory under a flood of distinct keys
        left = tokens - granted
        self._buckets[key] = (left, now)
        if granted:
            return granted, max(0.0, -left / rate)  # in debt: the last one is there later
        return 0, max(0.0, (1.0 - left - horizon_s * rate) / rate)

    def clear(self) -> None:
        """Every bucket full again."""
        self._buckets.clear()


class BucketsActor:
    """The one shared set of buckets of a name (``ray.remote``'d when first needed)."""

    def __init__(self) -> None:
        self.buckets = Buckets()

    def take(self, asks: list[Ask], now: float) -> list[tuple[int, float]]:
        return [self.buckets.take(k, cap, rate, want, now, hz) for k, cap, rate, want, hz in asks]

    def reset(self) -> None:
        self.buckets.clear()


class SharedBuckets:
    """``await shared.take(...)``: ``Buckets.take`` on the actor ``actor_name``.

    ``namespace``: the Ray namespace of the shared actor; None keeps the buckets in this
    process (tools and tests that run one process).
    """

    def __init__(
        self, actor_name: str, namespace: str | None, clock: Callable[[], float] = time.time
    ) -> None:
        self.actor_name, self.namespace, self.clock = actor_name, namespace, clock
        self.local = Buckets()  # no Ray (namespace None, Ray not running), or actor unreachable
        self._queue: list[tuple[Ask, asyncio.Future[tuple[int, float]]]] = []
        self._sender: asyncio.Task[None] | None = None
        self._actor: Any = None
        self._degraded = False  # falling back now: logged once, not per batch

    async def take(
        self, key: Key, capacity: float, rate: float, want: int, horizon_s: float = 0.0
    ) -> tuple[int, float]:
        ask: Ask = (key, capacity, rate, want, horizon_s)
        if self.namespace is None:
            return self.local.take(key, capacity, rate, want, self.clock(), horizon_s)
        future: asyncio.Future[tuple[int, float]] = asyncio.get_running_loop().create_future()
        self._queue.append((ask, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        return await future

    def reset(self) -> None:
        """Every bucket full again, shared ones included. Blocking: call it from a thread
        of its own, not from a running event loop."""
        self.local.clear()
        if self.namespace is not None:
            import ray

            ray.get(self._get_or_create().reset.remote())

    async def _send(self) -> None:
        # Group commit: what queued while a call was in flight goes in the next one.
        while self._queue:
            batch, self._queue = self._queue, []
            now, asks = self.clock(), [ask for ask, _ in batch]
            try:
                answers = await (await self._handle()).take.remote(asks, now)
                if self._degraded:
                    log.info("shared buckets reachable again", extra={"actor": self.actor_name})
                    self._degraded = False
            except Exception as exc:  # Ray down or the actor lost: this process's buckets
                if not self._degraded:
                    log.warning(
                        "shared buckets unreachable, limiting per process: %r",
                        exc,
                        extra={"actor": self.actor_name},
                    )
                    self._degraded = True
                self._actor = None
                answers = [self.local.take(k, c, r, w, now, h) for k, c, r, w, h in asks]
            for (_, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result((int(answer[0]), float(answer[1])))

    async def _handle(self) -> Any:
        if self._actor is None:
            self._actor = await asyncio.to_thread(self._get_or_create)
        return self._actor

    def _get_or_create(self) -> Any:
        import ray  # late: only processes that share buckets need Ray here

        if not ray.is_initialized():  # never start a Ray of our own just for this
            raise RuntimeError("Ray is not running in this process")
        remote = ray.remote(BucketsActor)
        return remote.options(
            name=self.actor_name,
            namespace=self.namespace,
            lifetime="detached",  # outlives the process that happened to create it
            get_if_exists=True,  # N processes asking at once end with one actor
            max_restarts=-1,  # a restart forgets the buckets: full again, never stuck
            num_cpus=0,
        ).remote()
